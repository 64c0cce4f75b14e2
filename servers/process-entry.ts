import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildServer } from './build-server.ts';
import { Feed } from './feed.ts';
import { isTransportName, type TransportName } from '../protocol/message.ts';
import { startResourceWindow, type ResourceWindow } from './resource-sampler.ts';
import { startSchedule, type ScheduleRequest } from './schedule.ts';
import type { BenchServer } from './transport-plugin.ts';

/**
 * One transport's server in its own process: `node --import tsx servers/process-entry.ts --transport ws …`.
 * Listens on 127.0.0.1 (port 0 unless --port), announces `{ type: 'ready', port }` over IPC (or prints
 * `READY <port>` when started by hand), answers the harness's requests, and shuts down on a 'stop'
 * request, SIGTERM, SIGINT or when the IPC channel closes (the parent died).
 *
 * With --standby it loads and builds everything, announces `{ type: 'standby' }` and listens only when a
 * 'listen' request comes: the harness's crash() keeps one ready to take over a killed server's port.
 */

/** How a server process is started: what the harness chooses per step (bench/scenarios/scenario.ts re-exports it). */
export interface ServerStartOptions {
  transport: TransportName;
  payloadBytes?: number;
  binary?: boolean;
  logLength?: number;
  socketIoTransports?: 'polling-upgrade' | 'websocket';
  socketIoRecovery?: boolean;
  longPollTimeoutMs?: number;
}

export interface ServerProcessArgs extends ServerStartOptions {
  host: string;
  port: number;
  /** Wait for a 'listen' request before listening (a replacement kept ready for a crash). */
  standby?: true;
}

/** Harness → server process. Every request has an id; the reply carries it back. */
export type ServerRequest =
  | { id: number; type: 'schedule'; request: ScheduleRequest }
  | { id: number; type: 'startResourceWindow' }
  | { id: number; type: 'endResourceWindow' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'dropConnections' }
  | { id: number; type: 'listen' }
  | { id: number; type: 'stop' };

/** Server process → harness. */
export type ServerMessage =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'standby'; pid: number }
  | { type: 'reply'; id: number; ok: true; result?: unknown }
  | { type: 'reply'; id: number; ok: false; error: { message: string; code?: string } };

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

function flag(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`--${name} must be true or false, got '${text}'`);
}

/** Parses the process's own argv; throws with a message naming the bad option. */
export function parseServerArgv(argv: string[]): ServerProcessArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      transport: { type: 'string' },
      'payload-bytes': { type: 'string' },
      binary: { type: 'string' },
      'log-length': { type: 'string' },
      'socket-io-transports': { type: 'string' },
      'socket-io-recovery': { type: 'string' },
      'long-poll-timeout-ms': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      standby: { type: 'boolean' },
    },
  });
  const transport = values.transport;
  if (transport === undefined || !isTransportName(transport)) throw new Error(`--transport must be one of short-polling, long-polling, ws, socket-io, sse, tcp; got '${transport ?? ''}'`);
  const sioTransports = values['socket-io-transports'];
  if (sioTransports !== undefined && sioTransports !== 'polling-upgrade' && sioTransports !== 'websocket') {
    throw new Error(`--socket-io-transports must be polling-upgrade or websocket, got '${sioTransports}'`);
  }
  return {
    transport,
    payloadBytes: integer('payload-bytes', values['payload-bytes'], 0),
    binary: flag('binary', values.binary),
    logLength: integer('log-length', values['log-length'], 1),
    socketIoTransports: sioTransports,
    socketIoRecovery: flag('socket-io-recovery', values['socket-io-recovery']),
    longPollTimeoutMs: integer('long-poll-timeout-ms', values['long-poll-timeout-ms'], 1),
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port, 0) ?? 0,
    ...(values.standby ? { standby: true as const } : {}),
  };
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function main(): Promise<void> {
  let args: ServerProcessArgs;
  try {
    args = parseServerArgv(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`process-entry: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const feed = new Feed(defined({ payloadBytes: args.payloadBytes, binary: args.binary, logLength: args.logLength }));
  const server: BenchServer = buildServer({
    transport: args.transport,
    feed,
    limits: defined({ longPollTimeoutMs: args.longPollTimeoutMs }),
    socketIo: defined({ transports: args.socketIoTransports, recovery: args.socketIoRecovery }),
  });
  const shutdown = new AbortController();
  let window: ResourceWindow | undefined;

  const stop = async (code: number, graceMs = 3_000): Promise<void> => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    // A server that will not close must not outlive the harness.
    setTimeout(() => process.exit(code), graceMs).unref();
    try {
      await server.close();
    } finally {
      process.exit(code);
    }
  };

  const send = (message: ServerMessage): void => {
    if (process.connected) process.send!(message, undefined, undefined, () => {});
  };

  const handle = async (request: ServerRequest): Promise<unknown> => {
    switch (request.type) {
      case 'schedule':
        return startSchedule(feed, { ...request.request, signal: shutdown.signal });
      case 'startResourceWindow':
        window?.end();
        window = startResourceWindow();
        return undefined;
      case 'endResourceWindow': {
        if (!window) throw new Error('no resource window is open (call startResourceWindow first)');
        const sample = window.end();
        window = undefined;
        return sample;
      }
      case 'stats':
        return server.stats();
      case 'dropConnections':
        server.dropConnections();
        return undefined;
      case 'listen': {
        if (listening) throw new Error('already listening');
        return { port: await listen() };
      }
      case 'stop':
        return undefined;
      default:
        throw new Error(`unknown request type '${(request as { type?: unknown }).type}'`);
    }
  };

  process.on('message', (raw: unknown) => {
    const request = raw as ServerRequest;
    if (typeof request !== 'object' || request === null || typeof request.id !== 'number') return;
    handle(request).then(
      (result) => {
        send({ type: 'reply', id: request.id, ok: true, result });
        if (request.type === 'stop') void stop(0);
      },
      (error: unknown) => {
        const err = error as Error & { code?: unknown };
        send({ type: 'reply', id: request.id, ok: false, error: { message: err?.message ?? String(error), code: typeof err?.code === 'string' ? err.code : undefined } });
      },
    );
  });
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  // The IPC channel closes when the parent dies: never outlive it.
  process.on('disconnect', () => void stop(0, 500));

  let listening = false;
  const listen = async (): Promise<number> => {
    listening = true;
    const port = await server.listen({ port: args.port, host: args.host });
    if (process.send) send({ type: 'ready', port, pid: process.pid });
    else process.stdout.write(`READY ${port}\n`);
    return port;
  };
  if (args.standby && process.send) {
    // Boot Fastify's plugins now, so that taking over the port later is only the listen itself.
    await server.app?.ready();
    send({ type: 'standby', pid: process.pid });
  } else {
    await listen();
  }
}

// Run only as a program, so tests can import parseServerArgv.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`process-entry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
