import net from 'node:net';
import { createClient } from '../clients/create-client.ts';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../protocol/limits.ts';
import type { TransportName } from '../protocol/transports.ts';
import { casesFor, loadCorpus, sizeOf, type CorpusFamily } from './corpus-file.ts';
import { rawExchange } from './raw-http.ts';
import { runCase, type CaseTarget } from './run-case.ts';

/**
 * The hostile-input corpus (conformance/corpus/*.json) against one listening server: every input must be
 * answered with a 4xx, the right close code or error line, never a 5xx or a hang; afterwards the server must
 * still answer /health and serve a normal client. The test suite runs it against every transport
 * (test/hostile-input.test.ts); the harness may run it against a server process and report the counts.
 */

export interface HostileCorpusOptions {
  host?: string;
  /** The limits the server was started with (sizes in the corpus follow them); default DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
  /** The Socket.IO server's mode; cases that need polling are skipped in 'websocket' mode. */
  socketIoTransports?: 'polling-upgrade' | 'websocket';
  /** Cases that would need longer than this are skipped (a slowloris against a long requestTimeoutMs), ms. */
  maxCaseMs?: number;
  /** Cases run this many at a time. */
  concurrency?: number;
  /** The corpus to run; loaded from conformance/corpus/ by default. */
  corpus?: CorpusFamily[];
}

export interface HostileCorpusResult {
  transport: TransportName;
  /** Inputs sent. */
  tried: number;
  /** Inputs answered as their case expects. */
  handled: number;
  /** Cases not run, with why. */
  skipped: string[];
  /** `case id: what was wrong`, one per input not handled, plus the after-check when it failed. */
  failures: string[];
}

const DEFAULT_MAX_CASE_MS = 5_000;
const AFTER_CHECK_MS = 10_000;

export async function runHostileCorpus(transport: TransportName, port: number, options: HostileCorpusOptions = {}): Promise<HostileCorpusResult> {
  const limits = resolveLimits({ ...DEFAULT_LIMITS, ...options.limits });
  const target: CaseTarget = { host: options.host ?? '127.0.0.1', port, limits };
  const maxCaseMs = options.maxCaseMs ?? DEFAULT_MAX_CASE_MS;
  const mode = options.socketIoTransports ?? 'polling-upgrade';
  const result: HostileCorpusResult = { transport, tried: 0, handled: 0, skipped: [], failures: [] };

  const runnable = casesFor(options.corpus ?? loadCorpus(), transport).filter((c) => {
    if (transport === 'socket-io' && c.socketIoMode !== undefined && c.socketIoMode !== mode) {
      result.skipped.push(`${c.id}: needs the ${c.socketIoMode} mode`);
      return false;
    }
    if (sizeOf(c.timeoutMs, limits) > maxCaseMs) {
      result.skipped.push(`${c.id}: needs ${sizeOf(c.timeoutMs, limits)} ms, more than maxCaseMs ${maxCaseMs}`);
      return false;
    }
    return true;
  });

  let next = 0;
  const worker = async () => {
    while (next < runnable.length) {
      const c = runnable[next++];
      result.tried++;
      const problem = await runCase(c, target).catch((error: Error) => `failed to run: ${error.message}`);
      if (problem === undefined) result.handled++;
      else result.failures.push(`${c.id}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));

  const after = await afterCheck(transport, target, mode).catch((error: Error) => error.message);
  if (after) result.failures.push(`after the corpus: ${after}`);
  return result;
}

/** Publishes one message without a client: POST /publish, or a raw TCP publish line. */
async function publishRaw(transport: TransportName, target: CaseTarget, room: string, payload: string): Promise<void> {
  const body = JSON.stringify({ room, payload });
  if (transport !== 'tcp') {
    const head = `POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const answer = await rawExchange({ host: target.host, port: target.port, chunks: [Buffer.from(head + body)], timeoutMs: AFTER_CHECK_MS });
    if (answer.status !== 200) throw new Error(`POST /publish answered ${answer.status ?? 'nothing'}`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => done(new Error('no ack to a TCP publish')), AFTER_CHECK_MS);
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.on('error', done);
    socket.on('data', (chunk: Buffer) => chunk.includes('"type":"ack"') && done());
    socket.write(`{"type":"publish","id":1,"room":"${room}","payload":${JSON.stringify(payload)}}\n`);
  });
}

/**
 * The server still answers /health (HTTP transports), and a normal client gets the backlog (published before
 * it connected, so even a long poll answers at once), then a live message it publishes itself.
 */
async function afterCheck(transport: TransportName, target: CaseTarget, mode: 'polling-upgrade' | 'websocket'): Promise<string | undefined> {
  if (transport !== 'tcp') {
    const health = await rawExchange({ host: target.host, port: target.port, chunks: [Buffer.from('GET /health HTTP/1.1\r\nhost: x\r\n\r\n')], timeoutMs: AFTER_CHECK_MS });
    if (health.status !== 200) return `GET /health answered ${health.status ?? 'nothing'}`;
  }
  const room = `after-hostile-${Date.now().toString(36)}`;
  await publishRaw(transport, target, room, 'backlog');
  const seen: string[] = [];
  let resolveGot: () => void = () => {};
  const got = new Promise<void>((resolve) => (resolveGot = resolve));
  const errors: string[] = [];
  const client = createClient(transport, {
    host: target.host,
    port: target.port,
    room,
    reconnect: false,
    pollIntervalMs: 10,
    socketIoTransports: mode,
    onMessage: (message) => {
      seen.push(message.payload);
      if (message.payload === 'live') resolveGot();
    },
    onError: (error) => errors.push(error.message),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a normal client was not served within ${AFTER_CHECK_MS} ms ${JSON.stringify(errors.slice(0, 3))}`)), AFTER_CHECK_MS);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.publish(room, 'live');
        await got;
      })(),
      timeout,
    ]);
    return seen.join() === 'backlog,live' ? undefined : `a normal client got ${JSON.stringify(seen)}, expected ["backlog","live"]`;
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}
