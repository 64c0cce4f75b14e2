import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { batchWrites, corkWhileBatching, type Corkable } from '../../servers/write-batch.ts';

class FakeStream implements Corkable {
  corks = 0;
  uncorks = 0;
  destroyed = false;
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
}

describe('#batchWrites', () => {
  it('corks each stream once per batch and uncorks them all, synchronously, when the batch ends', () => {
    const a = new FakeStream();
    const b = new FakeStream();
    const result = batchWrites(() => {
      corkWhileBatching(a);
      corkWhileBatching(a);
      corkWhileBatching(b);
      expect([a.corks, a.uncorks, b.corks, b.uncorks]).toEqual([1, 0, 1, 0]);
      return 'published';
    });
    expect(result).toBe('published');
    expect([a.corks, a.uncorks, b.corks, b.uncorks]).toEqual([1, 1, 1, 1]);
  });

  it('does nothing outside a batch, joins nested batches to the outer one, and uncorks after a throw', () => {
    const a = new FakeStream();
    corkWhileBatching(a);
    expect(a.corks).toBe(0);
    batchWrites(() => {
      batchWrites(() => corkWhileBatching(a));
      expect(a.uncorks).toBe(0);
    });
    expect(a.uncorks).toBe(1);
    expect(() =>
      batchWrites(() => {
        corkWhileBatching(a);
        throw new Error('publish failed');
      }),
    ).toThrow('publish failed');
    expect([a.corks, a.uncorks]).toEqual([2, 2]);
  });

  it('uncorks every other stream when one throws on uncork, then reports the throw', () => {
    const broken = new FakeStream();
    broken.uncork = () => {
      throw new Error('uncork failed');
    };
    const fine = new FakeStream();
    expect(() =>
      batchWrites(() => {
        corkWhileBatching(broken);
        corkWhileBatching(fine);
      }),
    ).toThrow('uncork failed');
    expect(fine.uncorks).toBe(1);
    batchWrites(() => corkWhileBatching(fine));
    expect([fine.corks, fine.uncorks]).toEqual([2, 2]);
  });

  it('leaves a stream destroyed during the batch alone', () => {
    const a = new FakeStream();
    batchWrites(() => {
      corkWhileBatching(a);
      a.destroyed = true;
    });
    expect(a.uncorks).toBe(0);
  });

  it("sends a batch's writes to a real socket in one segment, in order, and a write outside a batch at once", async () => {
    const chunks: string[] = [];
    const server = net.createServer((socket) => socket.on('data', (chunk) => chunks.push(chunk.toString())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      batchWrites(() => {
        for (const line of ['1\n', '2\n', '3\n']) {
          corkWhileBatching(socket);
          socket.write(line);
        }
        expect(socket.writableLength).toBe(6);
      });
      expect(socket.writableLength).toBe(0);
      await expect.poll(() => chunks.join(''), { timeout: 10_000 }).toBe('1\n2\n3\n');
      expect(chunks).toEqual(['1\n2\n3\n']);
      socket.write('4\n');
      await expect.poll(() => chunks.length, { timeout: 10_000 }).toBe(2);
      expect(chunks[1]).toBe('4\n');
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
