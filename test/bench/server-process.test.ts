import { afterEach, describe, expect, it } from 'vitest';
import { TOOL_ERRORS } from '../../protocol/tool-errors.ts';
import { readFileSync } from 'node:fs';
import { ServerPool } from '../../bench/run/server-pool.ts';
import { hasTaskset, liveServerPids, ServerProcess } from '../../bench/run/server-process.ts';
import { parseServerOptions, serverArgument } from '../../servers/process-entry.ts';
import { processExists } from '../helpers/process-exists.ts';

const started: ServerProcess[] = [];
async function start(...args: Parameters<typeof ServerProcess.start>): Promise<ServerProcess> {
  const server = await ServerProcess.start(...args);
  started.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

describe('#parseServerOptions', () => {
  it('round-trips start options through the one JSON argument of the child', () => {
    const options = { transport: 'socket-io' as const, payloadBytes: 256, binary: true, socketIoTransports: 'websocket' as const, socketIoRecovery: false, longPollTimeoutMs: 2_000, injectDelayMs: 2, wsPerMessageDeflate: true };
    expect(parseServerOptions([serverArgument(options)])).toEqual({ ...options, feed: 'memory', feedNamespace: 'default', node: 0, host: '127.0.0.1', port: 0, standby: false });
  });

  it('fills in the documented defaults', () => {
    expect(parseServerOptions(['{"transport":"ws"}'])).toEqual({ transport: 'ws', payloadBytes: 64, binary: false, socketIoTransports: 'polling-upgrade', socketIoRecovery: true, wsPerMessageDeflate: false, longPollTimeoutMs: 25_000, injectDelayMs: 0, feed: 'memory', feedNamespace: 'default', node: 0, host: '127.0.0.1', port: 0, standby: false });
  });

  it('rejects an unknown transport and an unknown option, naming the field', () => {
    expect(() => parseServerOptions(['{"transport":"carrier-pigeon"}'])).toThrow(/start option transport/);
    expect(() => parseServerOptions(['{"transport":"ws","logLength":5}'])).toThrow(/logLength/);
    expect(() => parseServerOptions(['--transport', 'ws'])).toThrow(/one argument, a JSON object/);
    expect(() => parseServerOptions(['{"transport":"ws","feed":"redis"}'])).toThrow(/start option feed: a server needs the Redis URL itself/);
    expect(() => parseServerOptions(['{"transport":"ws","feed":"http://x"}'])).toThrow(/start option feed: a Redis URL starts with redis:/);
  });
});

describe('#ServerProcess', () => {
  it('starts a server child that answers GET /health on the port it reports, and stops leaving no process', async () => {
    const server = await start({ transport: 'sse', payloadBytes: 32 });
    expect(server.port).toBeGreaterThan(0);
    expect(server.pid).not.toBe(process.pid);
    const response = await fetch(`http://127.0.0.1:${server.port}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', transport: 'sse' });

    await server.stop();
    expect(server.alive).toBe(false);
    expect(processExists(server.pid)).toBe(false);
    expect(liveServerPids()).not.toContain(server.pid);
  });

  it('runs a schedule, resource window and stats over IPC', async () => {
    const server = await start({ transport: 'ws' });
    await server.startResourceWindow();
    const report = await server.schedule({ rate: 500, rooms: ['a', 'b'], durationMs: 40 });
    const sample = await server.endResourceWindow();
    expect(report.rooms).toEqual({ a: { published: 10, firstSeq: 1, lastSeq: 10 }, b: { published: 10, firstSeq: 1, lastSeq: 10 } });
    expect(report.strategy).toMatch(/catch-up/);
    expect(sample.rssBytes).toBeGreaterThan(0);
    // The pacer spun between the 20 messages: its wait is counted apart from the transport's CPU.
    expect(sample.publisherWaitPercent).toBeGreaterThan(0);
    expect((await server.stats()).transport).toBe('ws');
    await expect(server.endResourceWindow()).rejects.toMatchObject({ code: TOOL_ERRORS.SERVER_REQUEST_FAILED });
  });

  it('fails a request in flight with BENCH_ERR_SERVER_EXITED when the child is killed mid-step', async () => {
    const server = await start({ transport: 'tcp' });
    const inFlight = server.schedule({ rate: 100, rooms: ['a'], durationMs: 60_000 });
    process.kill(server.pid, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({ code: TOOL_ERRORS.SERVER_EXITED, message: expect.stringMatching(/SIGKILL/) });
    await server.exited;
    await expect(server.stats()).rejects.toMatchObject({ code: TOOL_ERRORS.SERVER_EXITED });
    expect(processExists(server.pid)).toBe(false);
  });

  it('crashes: SIGKILLs the child, and a fresh one with an empty feed listens on the same port, the server staying alive', async () => {
    const server = await start({ transport: 'sse' });
    const { port, pid } = server;
    await server.schedule({ rate: 1_000, rooms: ['a'], durationMs: 5 });
    let exited = false;
    void server.exited.then(() => (exited = true));
    await server.prepareCrash();
    const report = await server.crash({ downtimeMs: 50 });
    expect(report.listeningAt - report.killedAt).toBeGreaterThanOrEqual(50_000);
    expect(processExists(pid)).toBe(false);
    expect(server.pid).not.toBe(pid);
    expect(server.port).toBe(port);
    expect(server.alive).toBe(true);
    expect(exited).toBe(false);
    // A new process: nothing published yet, and it answers the harness and the network on the old port.
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', transport: 'sse', connections: 0 });
    expect((await server.schedule({ rate: 1_000, rooms: ['a'], durationMs: 1 })).rooms.a).toEqual({ published: 1, firstSeq: 1, lastSeq: 1 });
    await server.stop();
    expect(liveServerPids()).toEqual([]);
  });

  it('reads standby and port for a replacement process', () => {
    expect(parseServerOptions([serverArgument({ transport: 'ws', port: 4002, standby: true })])).toMatchObject({ port: 4002, standby: true });
  });

  it('reports BENCH_ERR_SERVER_NOT_READY when the child cannot start', async () => {
    // A payload size the child rejects: it exits before listening.
    await expect(ServerProcess.start({ transport: 'ws', payloadBytes: -1 })).rejects.toMatchObject({
      code: TOOL_ERRORS.SERVER_NOT_READY,
      message: expect.stringMatching(/payloadBytes/),
    });
  });
});

describe('#ServerPool', () => {
  it('gives options that start the same server the same key', () => {
    expect(ServerPool.key({ transport: 'ws' })).toBe(ServerPool.key({ transport: 'ws', payloadBytes: 64, socketIoTransports: 'websocket' }));
    expect(ServerPool.key({ transport: 'ws' })).not.toBe(ServerPool.key({ transport: 'ws', payloadBytes: 1024 }));
    expect(ServerPool.key({ transport: 'socket-io' })).not.toBe(ServerPool.key({ transport: 'socket-io', socketIoTransports: 'websocket' }));
    expect(ServerPool.key({ transport: 'ws' })).not.toBe(ServerPool.key({ transport: 'tcp' }));
  });

  it('prestarts each distinct server once, reuses it, restarts it when it died and stops what is no longer needed', async () => {
    const pool = new ServerPool({ cpu: hasTaskset() ? 0 : undefined });
    try {
      await pool.prestart([{ transport: 'tcp' }, { transport: 'tcp', payloadBytes: 64 }, { transport: 'sse' }]);
      expect(pool.startupTimes).toHaveLength(2);
      const tcp = await pool.acquire({ transport: 'tcp' });
      const sse = await pool.acquire({ transport: 'sse' });
      expect(await pool.acquire({ transport: 'tcp', payloadBytes: 64 })).toBe(tcp);
      if (hasTaskset()) {
        expect((tcp as ServerProcess).cpu).toBe(0);
        expect(readFileSync(`/proc/${tcp.pid}/status`, 'utf8')).toMatch(/Cpus_allowed_list:\s+0\n/);
      }

      process.kill(tcp.pid, 'SIGKILL');
      await tcp.exited;
      const again = await pool.acquire({ transport: 'tcp' });
      expect(again).not.toBe(tcp);
      expect(again.alive).toBe(true);

      await pool.retain(new Set([ServerPool.key({ transport: 'tcp' })]));
      expect(sse.alive).toBe(false);
      expect(again.alive).toBe(true);
    } finally {
      await pool.stopAll();
    }
    expect(liveServerPids()).toEqual([]);
  });
});
