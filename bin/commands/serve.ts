import { serveAll } from '../../servers/serve-all.ts';
import { isValidRoom } from '../../protocol/message.ts';
import { startSchedule } from '../../servers/schedule.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import { isInputError, processIo, readArgs, usageError } from '../cli-support.ts';
import { EXIT } from '../exit-codes.ts';
import { installLivePage } from '../live-page-routes.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';
import type { TransportName } from '../../protocol/transports.ts';

/** The live page is served by the first server (short polling, on the base port), in a room of its own. */
const LIVE_PAGE_SERVER: TransportName = 'short-polling';
const LIVE_ROOM = 'chat';
const LIVE_MAX_TEXT = 500;
const LIVE_POLL_INTERVAL_MS = 100;

const HELP = `Usage: transport-bench serve [options]

Starts all six transport servers side by side over one shared message feed, on consecutive ports
in this order: short polling, long polling, ws, Socket.IO, SSE, raw TCP. A message POSTed to
/publish on any of them reaches the clients of all six. Ctrl-C stops them cleanly (exit 0).

The live page is at http://HOST:BASE/ : the seed's chat app over the five browser transports, a panel
each with its latency, bytes and reconnects (docs/live-page.md). Press d (or send SIGUSR2) to drop every
connection and watch the panels reconnect and resume. The servers answer pages of any origin (CORS);
with --host 0.0.0.0 other machines on your network can open the page too.

Options:
  --port BASE      first port (default 4000; uses BASE … BASE+5; 0 = any free ports)
  --host HOST      address to bind (default 127.0.0.1)
  --rate N         demo feed: messages per second published to --room (default 1; 0 = only what is POSTed)
  --room NAME      room of the demo feed and of the example URLs (default lobby)
  --payload BYTES  size of demo payloads (default 64)
  -h, --help       show this help

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 a server failed to start (port in use…), 2 bad usage.
The routes and message format are in docs/protocol.md.`;

function integerOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new ToolError(TOOL_ERRORS.BAD_OPTION, `--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return value;
}

export async function main(argv: string[]): Promise<number> {
  let options: { basePort: number; host: string; rate: number; room: string; payload: number };
  try {
    const { values: given } = readArgs('serve', argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      rate: { type: 'string' },
      room: { type: 'string' },
      payload: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    const values = { port: '4000', host: '127.0.0.1', rate: '1', room: 'lobby', payload: '64', ...given };
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return EXIT.OK;
    }
    if (!isValidRoom(values.room)) throw new ToolError(TOOL_ERRORS.BAD_OPTION, `--room must be 1-64 of A-Z a-z 0-9 _ -, got '${values.room}'`);
    options = {
      basePort: integerOption('port', values.port, 0, 65_530),
      host: values.host,
      rate: integerOption('rate', values.rate, 0, 1_000_000),
      room: values.room,
      payload: integerOption('payload', values.payload, 0, 1_000_000),
    };
  } catch (error) {
    if (!isInputError(error)) throw error;
    return usageError(processIo, 'serve', error.message, HELP);
  }

  // `serve | head` closes our stdout early; that must not crash the servers.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });

  let running: Awaited<ReturnType<typeof serveAll>>;
  let ports: Record<TransportName, number> | undefined;
  const livePage = (server: BenchServer) => {
    if (server.transport === LIVE_PAGE_SERVER && server.app) installLivePage(server.app, { ports: () => ports!, room: LIVE_ROOM, maxTextLength: LIVE_MAX_TEXT, pollIntervalMs: LIVE_POLL_INTERVAL_MS });
  };
  try {
    running = await serveAll({ basePort: options.basePort, host: options.host, room: options.room, feed: { payloadBytes: options.payload }, beforeListen: livePage });
    ports = Object.fromEntries(running.endpoints.map((e) => [e.transport, e.port])) as Record<TransportName, number>;
  } catch (error) {
    process.stderr.write(`transport-bench serve: could not start the servers: ${(error as Error).message}\n`);
    return EXIT.FAILURE;
  }

  const width = Math.max(...running.endpoints.map((e) => e.transport.length));
  process.stdout.write(
    ['transport-bench serve: six transports over one feed', ...running.endpoints.map((e) => `  ${e.transport.padEnd(width)}  ${e.url}`), ''].join('\n') +
      `  publish: curl -X POST -H 'content-type: application/json' -d '{"room":"${options.room}","payload":"hi"}' http://${options.host}:${running.endpoints[0]!.port}/publish\n` +
      `live page: http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${running.endpoints[0]!.port}/ (room '${LIVE_ROOM}'; d drops every connection)\n` +
      `demo feed: ${options.rate} message(s)/s to room '${options.room}'. Ctrl-C to stop.\n`,
  );

  // The demo feed runs until stopped: a schedule far longer than anyone serves by hand, restarted if it ever ends.
  const demo = new AbortController();
  if (options.rate > 0) {
    void (async () => {
      while (!demo.signal.aborted) {
        await startSchedule(running.feed, { rate: options.rate, rooms: [options.room], durationMs: 3_600_000, payloadBytes: options.payload, signal: demo.signal });
      }
    })();
  }

  const stopKeys = dropOnRequest(running.servers);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopKeys();
  demo.abort();
  await running.close();
  process.stdout.write('transport-bench serve: stopped\n');
  return EXIT.OK;
}

/**
 * Dropping every client connection, to watch clients reconnect and resume: the key `d` when stdin is a
 * terminal, or SIGUSR2 from anywhere. Returns what undoes it. In raw mode Ctrl-C arrives as a key, so it is
 * turned back into SIGINT.
 */
function dropOnRequest(servers: readonly BenchServer[]): () => void {
  const drop = (why: string) => {
    for (const server of servers) server.dropConnections();
    process.stdout.write(`transport-bench serve: dropped every connection (${why}); clients reconnect and resume\n`);
  };
  const onSignal = () => drop('SIGUSR2');
  process.on('SIGUSR2', onSignal);
  const stdin = process.stdin;
  const onKey = (key: Buffer) => {
    const text = key.toString('utf8');
    if (text === 'd' || text === 'D') drop('key d');
    else if (text === '\u0003') process.kill(process.pid, 'SIGINT');
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  return () => {
    process.off('SIGUSR2', onSignal);
    if (stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  };
}
