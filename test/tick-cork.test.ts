import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { corkForThisTurn, type Corkable } from '../servers/tick-cork.ts';

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

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('#corkForThisTurn', () => {
  it('corks a stream once per turn and uncorks it when the turn ends', async () => {
    const a = new FakeStream();
    const b = new FakeStream();
    corkForThisTurn(a);
    corkForThisTurn(a);
    corkForThisTurn(b);
    expect([a.corks, a.uncorks, b.corks, b.uncorks]).toEqual([1, 0, 1, 0]);
    await nextTurn();
    expect([a.corks, a.uncorks, b.corks, b.uncorks]).toEqual([1, 1, 1, 1]);
    corkForThisTurn(a);
    await nextTurn();
    expect([a.corks, a.uncorks]).toEqual([2, 2]);
  });

  it('leaves a stream destroyed in the meantime alone', async () => {
    const a = new FakeStream();
    corkForThisTurn(a);
    a.destroyed = true;
    await nextTurn();
    expect(a.uncorks).toBe(0);
    corkForThisTurn(a);
    expect(a.corks).toBe(1);
  });

  it('sends a turn of writes to a real socket in one segment, in order, and a later write on its own', async () => {
    const chunks: string[] = [];
    const server = net.createServer((socket) => socket.on('data', (chunk) => chunks.push(chunk.toString())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      for (const line of ['1\n', '2\n', '3\n']) {
        corkForThisTurn(socket);
        socket.write(line);
      }
      await expect.poll(() => chunks.join('')).toBe('1\n2\n3\n');
      expect(chunks).toEqual(['1\n2\n3\n']);
      corkForThisTurn(socket);
      socket.write('4\n');
      await expect.poll(() => chunks.length).toBe(2);
      expect(chunks[1]).toBe('4\n');
    } finally {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
