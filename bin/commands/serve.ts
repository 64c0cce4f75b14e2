import { serveAll } from '../../servers/serve-all.ts';
import { isValidRoom } from '../../protocol/message.ts';
import { startSchedule } from '../../servers/schedule.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import { isInputError, processIo, readArgs, usageError } from '../cli-support.ts';
import { EXIT } from '../exit-codes.ts';

const HELP = `Usage: transport-bench serve [options]

Starts all six transport servers side by side over one shared message feed, on consecutive ports
in this order: short polling, long polling, ws, Socket.IO, SSE, raw TCP. A message POSTed to
/publish on any of them reaches the clients of all six. Ctrl-C stops them cleanly (exit 0).

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
  try {
    running = await serveAll({ basePort: options.basePort, host: options.host, room: options.room, feed: { payloadBytes: options.payload } });
  } catch (error) {
    process.stderr.write(`transport-bench serve: could not start the servers: ${(error as Error).message}\n`);
    return EXIT.FAILURE;
  }

  const width = Math.max(...running.endpoints.map((e) => e.transport.length));
  process.stdout.write(
    ['transport-bench serve: six transports over one feed', ...running.endpoints.map((e) => `  ${e.transport.padEnd(width)}  ${e.url}`), ''].join('\n') +
      `  publish: curl -X POST -H 'content-type: application/json' -d '{"room":"${options.room}","payload":"hi"}' http://${options.host}:${running.endpoints[0]!.port}/publish\n` +
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

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  demo.abort();
  await running.close();
  process.stdout.write('transport-bench serve: stopped\n');
  return EXIT.OK;
}
