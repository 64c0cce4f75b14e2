import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/transport-bench.ts', import.meta.url).pathname;

function startServe(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collects stdout until the "Ctrl-C to stop" line, then returns the printed transport → URL table. */
async function readEndpoints(child: ChildProcess): Promise<Map<string, string>> {
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  // Keep reading stdout for the child's whole life: closing the pipe early would make its last line fail.
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('Ctrl-C to stop')) resolve();
    });
    child.once('exit', () => reject(new Error(`serve did not start: ${out}${err}`)));
  });
  const endpoints = new Map<string, string>();
  for (const match of out.matchAll(/^\s+(short-polling|long-polling|ws|socket-io|sse|tcp)\s+(\S+)$/gm)) endpoints.set(match[1]!, match[2]!);
  return endpoints;
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('transport-bench serve', () => {
  it('starts six endpoints that each answer, and exits 0 on SIGINT', async () => {
    child = startServe(['--port', '0', '--rate', '20', '--room', 'lobby']);
    const endpoints = await readEndpoints(child);
    expect([...endpoints.keys()]).toEqual(['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp']);

    for (const transport of ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse']) {
      const { origin } = new URL(endpoints.get(transport)!.replace(/^ws:/, 'http:'));
      const health = await fetch(`${origin}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', transport });
    }

    // The demo feed reaches the pollers: a short poll from cursor 0 returns the messages published so far.
    const poll = await fetch(endpoints.get('short-polling')!);
    expect(poll.status).toBe(200);

    // A message POSTed to the SSE server is served by the short-polling server: one feed behind all six.
    const sseOrigin = new URL(endpoints.get('sse')!).origin;
    const published = await fetch(`${sseOrigin}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'shared-check', payload: 'hello from sse' }),
    });
    expect(published.status).toBe(200);
    const viaPolling = (await (await fetch(endpoints.get('short-polling')!.replace('room=lobby', 'room=shared-check'))).json()) as {
      messages: { payload: string }[];
    };
    expect(viaPolling.messages.map((m) => m.payload)).toEqual(['hello from sse']);

    // Raw TCP: subscribe and get the ready line.
    const tcpUrl = new URL(endpoints.get('tcp')!);
    const socket = connect(Number(tcpUrl.port), tcpUrl.hostname);
    await once(socket, 'connect');
    socket.write(JSON.stringify({ type: 'subscribe', room: 'lobby', cursor: 0 }) + '\n');
    const [firstChunk] = (await once(socket, 'data')) as [Buffer];
    expect(JSON.parse(firstChunk.toString().split('\n')[0]!)).toMatchObject({ type: 'ready' });
    socket.destroy();

    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('rejects a bad option with exit code 2 and names it', async () => {
    child = startServe(['--port', 'eighty']);
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(err).toContain('--port must be an integer');
  });
});
