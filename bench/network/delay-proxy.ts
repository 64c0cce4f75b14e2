import net from 'node:net';
import type { NetworkConditions } from './conditions.ts';
import { LinkDirection, type LinkConditions } from './link.ts';

/**
 * A TCP proxy that puts an emulated network between the clients and one server: every chunk goes through a
 * LinkDirection each way (delay, jitter, bandwidth), and a new connection pays one round trip for its TCP
 * handshake before its first byte leaves (the client's connect completes at once on loopback; its bytes
 * then wait until the handshake would have ended, as on a real network). There is no netem in this kernel,
 * so this is how delay and bandwidth reach every transport alike (docs/network.md).
 *
 * Flow control: a side whose chunks wait in the link beyond HIGH_WATER_BYTES stops being read until they
 * drain, as TCP's window would stop a sender; a side the far end is slow to take is paused the same way.
 */

/** What one proxy applies: the network's round trip, jitter and bandwidth (loss is the namespace's, not the proxy's). */
export type ProxyConditions = Pick<NetworkConditions, 'rttMs' | 'jitterMs' | 'bytesPerMs'>;

export interface ProxyCounters {
  connections: number;
  /** Bytes carried, client → server and server → client. */
  up: number;
  down: number;
}

const HIGH_WATER_BYTES = 1 << 20;

/** ms on the monotonic clock. */
const nowMs = (): number => performance.now();

interface Pending {
  at: number;
  chunk: Buffer | null; // null: the end of the stream
}

/** Carries `from` → `to` through `link`, in order, each chunk at its release time. */
function pipeThroughLink(from: net.Socket, to: net.Socket, link: LinkDirection, count: (bytes: number) => void): void {
  const queue: Pending[] = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const now = nowMs();
    while (queue.length > 0 && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      if (chunk === null) {
        to.end();
        continue;
      }
      queuedBytes -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (queuedBytes < HIGH_WATER_BYTES && from.isPaused() && !to.writableNeedDrain) from.resume();
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - nowMs()));
  };

  const enqueue = (chunk: Buffer | null): void => {
    const at = chunk === null ? Math.max(nowMs(), queue.at(-1)?.at ?? -Infinity) : link.release(nowMs(), chunk.length);
    // At 0 ms with no limit, pass straight through: the proxy's own cost is then one read and one write.
    if (queue.length === 0 && at <= nowMs()) {
      if (chunk === null) to.end();
      else if (!to.destroyed && !to.write(chunk)) from.pause();
      return;
    }
    queue.push({ at, chunk });
    if (chunk !== null) {
      queuedBytes += chunk.length;
      if (queuedBytes >= HIGH_WATER_BYTES) from.pause();
    }
    timer ??= setTimeout(flush, Math.max(0, queue[0]!.at - nowMs()));
  };

  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    enqueue(chunk);
  });
  from.on('end', () => enqueue(null));
  to.on('drain', () => {
    if (queuedBytes < HIGH_WATER_BYTES) from.resume();
  });
  const stop = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    queue.length = 0;
  };
  from.on('close', () => {
    // A reset (not a clean end) is passed on at once: the far side sees the connection die, as it would.
    if (queue.length === 0 || queue.at(-1)!.chunk !== null) {
      stop();
      to.destroy();
    }
  });
  to.on('close', stop);
}

export class DelayProxy {
  readonly counters: ProxyCounters = { connections: 0, up: 0, down: 0 };
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /**
   * Listens on `listenHost`, an ephemeral port, and forwards every connection to `target` under `conditions`,
   * connecting out from `localAddress` when given (the lossless side of a loss namespace).
   */
  static async start(target: { host: string; port: number }, conditions: ProxyConditions, listenHost = '127.0.0.1', localAddress?: string): Promise<DelayProxy> {
    const link: LinkConditions = { delayMs: conditions.rttMs / 2, jitterMs: conditions.jitterMs, bytesPerMs: conditions.bytesPerMs };
    let proxy: DelayProxy | undefined;
    const server = net.createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (client) => {
      const accepted = nowMs();
      // Half-open both ways: each direction's end (FIN) goes through the link in its turn, after the bytes before it.
      const upstream = net.connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
      proxy!.#track(client);
      proxy!.#track(upstream);
      proxy!.counters.connections++;
      const counters = proxy!.counters;
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      // Client bytes leave once the handshake would have ended (one round trip after connect).
      pipeThroughLink(client, upstream, new LinkDirection(link, accepted + conditions.rttMs), (n) => (counters.up += n));
      pipeThroughLink(upstream, client, new LinkDirection(link), (n) => (counters.down += n));
      upstream.once('connect', () => client.resume());
    });
    proxy = new DelayProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, listenHost, () => resolve());
    });
    return proxy;
  }

  get host(): string {
    return (this.#server.address() as net.AddressInfo).address;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Stops listening and destroys every connection still open. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
