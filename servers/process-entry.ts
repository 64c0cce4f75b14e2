import { pathToFileURL } from 'node:url';
import { serverProcessSchema, type ServerProcessOptions } from '../protocol/server-options.ts';
import type { ServerMessage, ServerRequest } from '../protocol/server-ipc.ts';
import { buildFromStartOptions } from './build-server.ts';
import type { MessageFeed } from './message-feed.ts';
import { openFeed } from './open-feed.ts';
import { redactUrl } from '../protocol/feed-spec.ts';
import { startResourceWindow, type ResourceWindow } from './resource-sampler.ts';
import { startSchedule } from './schedule.ts';
import type { BenchServer } from './transport-plugin.ts';

/**
 * One transport's server in its own process: `node --import tsx servers/process-entry.ts '{"transport":"ws"}'`.
 * Its one argument is a JSON object of start options (protocol/server-options.ts: the transport, payload
 * size, Socket.IO mode … plus host, port and standby). It listens on 127.0.0.1 (port 0 unless given),
 * announces `{ type: 'ready', port }` over IPC (or prints `READY <port>` when started by hand), answers the
 * harness's requests, and shuts down on a 'stop' request, SIGTERM, SIGINT or when the IPC channel closes
 * (the parent died).
 *
 * With `"standby": true` it loads and builds everything, announces `{ type: 'standby' }` and listens only
 * when a 'listen' request comes: the harness's crash() keeps one ready to take over a killed server's port.
 */

/** Reads the process's one JSON argument; throws with a message naming the bad field. */
export function parseServerOptions(argv: readonly string[]) {
  if (argv.length !== 1) throw new Error(`expected one argument, a JSON object of start options (e.g. '{"transport":"ws"}'); got ${argv.length}`);
  let value: unknown;
  try {
    value = JSON.parse(argv[0]!);
  } catch (error) {
    throw new Error(`the start options are not JSON: ${(error as Error).message}`);
  }
  const parsed = serverProcessSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`start option ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The one argument that starts a server process with `options`. */
export function serverArgument(options: ServerProcessOptions): string {
  return JSON.stringify(options);
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseServerOptions>;
  try {
    args = parseServerOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`process-entry: ${(error as Error).message}\n`);
    process.exit(2);
  }
  let feed: MessageFeed;
  try {
    feed = await openFeed(args);
  } catch (error) {
    process.stderr.write(`process-entry: feed ${args.feed === 'memory' ? 'memory' : redactUrl(args.feed)}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const server: BenchServer = buildFromStartOptions(args, feed);
  // The shared feed started over (Redis came back empty): every client's cursor is of the feed before. Dropped,
  // they come back and are told to reset, as after a server restart (docs/protocol.md, "Resets").
  feed.onRestart(() => server.dropConnections());
  const shutdown = new AbortController();
  let window: ResourceWindow | undefined;

  const stop = async (code: number, graceMs = 3_000): Promise<void> => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    // A server that will not close must not outlive the harness.
    setTimeout(() => process.exit(code), graceMs).unref();
    try {
      await server.close();
      await feed.close();
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
