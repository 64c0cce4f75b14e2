import net from 'node:net';
import { createClient } from '../../clients/create-client.ts';
import type { TransportName } from '../../protocol/transports.ts';

/**
 * The two loads of the soak, loopback only, bounded by a count and a deadline: long polls that are held and
 * then abandoned by their client, and clients that connect and disconnect again and again.
 */

export interface ChurnResult {
  /** How many were done (fewer than asked when the deadline came first). */
  done: number;
  errors: number;
  firstError?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, deadline: number): Promise<boolean> {
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(1);
  }
  return true;
}

/**
 * Long polls abandoned while held: `batch` raw sockets ask GET /poll for `room` after its head (so the server
 * holds them), and are destroyed once the server holds them all; every tenth one hangs up at once, before or
 * while its request is handled. The next batch starts when the server holds no poll.
 */
export async function abortLongPolls(
  target: { port: number; room: string; cursor: number },
  total: number,
  waiters: () => number,
  deadline: number,
  batch = 100,
): Promise<ChurnResult> {
  const result: ChurnResult = { done: 0, errors: 0 };
  const request = Buffer.from(`GET /poll?room=${target.room}&cursor=${target.cursor} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  while (result.done < total && Date.now() < deadline) {
    const size = Math.min(batch, total - result.done);
    const sockets: net.Socket[] = [];
    let held = 0;
    await Promise.all(
      Array.from({ length: size }, (_, i) =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port: target.port });
          socket.on('error', (error) => {
            result.errors++;
            result.firstError ??= error.message;
            resolve();
          });
          socket.once('connect', () => {
            socket.write(request);
            if (i % 10 === 0) socket.destroy();
            else {
              sockets.push(socket);
              held++;
            }
            resolve();
          });
        }),
      ),
    );
    if (!(await until(() => waiters() >= held, deadline))) break;
    for (const socket of sockets) socket.destroy();
    result.done += size;
    if (!(await until(() => waiters() === 0, deadline))) break;
  }
  return result;
}

/**
 * `total` clients of `transport`, `concurrency` at a time, each connecting (ready to receive) from `cursor`
 * and closing.
 */
export async function connectCycles(
  transport: TransportName,
  target: { port: number; room: string; cursor: number },
  total: number,
  deadline: number,
  concurrency = 10,
): Promise<ChurnResult> {
  const result: ChurnResult = { done: 0, errors: 0 };
  let started = 0;
  const worker = async () => {
    while (started < total && Date.now() < deadline) {
      started++;
      const client = createClient(transport, { port: target.port, room: target.room, cursor: target.cursor, reconnect: false, pollIntervalMs: 1_000, onMessage: () => {} });
      try {
        await client.connect();
      } catch (error) {
        result.errors++;
        result.firstError ??= (error as Error).message;
      } finally {
        await client.close().catch(() => {});
      }
      result.done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}
