import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DelayProxy } from '../../../bench/network/delay-proxy.ts';

/** An echo server on an ephemeral loopback port. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects, writes `bytes`, and times connect → first echo byte and → all bytes back, ms. */
async function roundTrip(port: number, bytes: number): Promise<{ firstMs: number; allMs: number; echoed: Buffer }> {
  const started = performance.now();
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  const sent = Buffer.alloc(bytes, 7);
  socket.write(sent);
  const chunks: Buffer[] = [];
  let firstMs = 0;
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (got === 0) firstMs = performance.now() - started;
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve();
    });
  });
  const allMs = performance.now() - started;
  socket.destroy();
  return { firstMs, allMs, echoed: Buffer.concat(chunks) };
}

describe('#DelayProxy', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(rttMs: number, bytesPerMs = Infinity) {
    const echo = await echoServer();
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port: echo.port }, { rttMs, jitterMs: 0, bytesPerMs });
    cleanups.push(() => proxy.close(), echo.close);
    return proxy;
  }

  it('a new connection pays the handshake round trip and then one round trip per exchange (RTT 40 ms: 2 RTT = 80 ms)', async () => {
    const proxy = await setup(40);
    const { firstMs, echoed } = await roundTrip(proxy.port, 100);
    // Handshake (40) + up (20) + down (20). Timers fire no earlier than asked; a busy machine adds, never removes.
    expect(firstMs).toBeGreaterThanOrEqual(79);
    expect(firstMs).toBeLessThan(80 + 80);
    expect(echoed.equals(Buffer.alloc(100, 7))).toBe(true);
    expect(proxy.counters).toEqual({ connections: 1, up: 100, down: 100 });
  });

  it('at 0 ms it passes bytes straight through, intact and in order', async () => {
    const proxy = await setup(0);
    const { echoed } = await roundTrip(proxy.port, 1 << 20);
    expect(echoed.length).toBe(1 << 20);
    expect(echoed.every((b) => b === 7)).toBe(true);
  });

  it('a bandwidth limit stretches a transfer: 100 kB each way at 1,000 bytes/ms takes at least 100 ms', async () => {
    const proxy = await setup(0, 1_000);
    const { allMs, echoed } = await roundTrip(proxy.port, 100_000);
    expect(echoed.length).toBe(100_000);
    expect(allMs).toBeGreaterThanOrEqual(99);
  });

  it('passes a reset on: the client sees the connection close when the server destroys it', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, { rttMs: 10, jitterMs: 0, bytesPerMs: Infinity });
    cleanups.push(() => proxy.close(), () => new Promise((resolve) => server.close(() => resolve())));
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('passes backpressure on: a server writing to a client that reads nothing stalls, the proxy does not soak it up', async () => {
    // A server that writes 64 KiB chunks for as long as its socket drains, for 1.5 s.
    let pushed = 0;
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      const chunk = Buffer.alloc(65_536, 1);
      const until = performance.now() + 1_500;
      const pump = (): void => {
        while (performance.now() < until) {
          pushed += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, { rttMs: 10, jitterMs: 0, bytesPerMs: Infinity });
    cleanups.push(() => proxy.close(), () => new Promise((resolve) => server.close(() => resolve())));
    const client = net.connect({ host: '127.0.0.1', port: proxy.port });
    client.on('error', () => {});
    client.pause(); // a stalled client: reads nothing
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    client.destroy();
    // What may sit between them: the stalled client's and the proxy's receive buffers, each autotuned up to
    // tcp_rmem's maximum (32 MiB here, so 37 MB pushed in one run), the server's send buffer up to tcp_wmem's,
    // and the link's 1 MiB. A proxy ignoring backpressure takes all 1.5 s of it: 1.2 GB when measured.
    const maxOf = (file: string) => Number(readFileSync(file, 'utf8').trim().split(/\s+/).at(-1));
    const buffered = 2 * maxOf('/proc/sys/net/ipv4/tcp_rmem') + maxOf('/proc/sys/net/ipv4/tcp_wmem') + 2 * 1_048_576;
    expect(pushed).toBeLessThan(buffered);
    expect(buffered).toBeLessThan(200 * 1_048_576);
  });
});
