import net from 'node:net';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { nowUs } from '../../protocol/clock.ts';
import { buildServer } from '../../servers/build-server.ts';
import { parseCommand } from '../../servers/command.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

/** The clock ping-pong every transport answers (docs/protocol.md): the server's clock now, µs, between send and answer. */

describe('the clock ping-pong', () => {
  let server: BenchServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const between = (before: number, now: number, after: number) => {
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  };

  it('GET /clock on every HTTP server', async () => {
    server = buildServer({ transport: 'sse' });
    const port = await server.listen();
    const before = nowUs();
    const body = (await (await fetch(`http://127.0.0.1:${port}/clock`)).json()) as { now: number };
    between(before, body.now, nowUs());
  });

  it('a clock command over ws, answered with its id', async () => {
    server = buildServer({ transport: 'ws' });
    const port = await server.listen();
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?room=a`);
    const frames: Record<string, unknown>[] = [];
    await new Promise<void>((resolve) => socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      frames.push(frame);
      if (frame.type === 'ready') socket.send(JSON.stringify({ type: 'clock', id: 7 }));
      if (frame.type === 'clock') resolve();
    }));
    expect(frames.map((f) => f.type)).toEqual(['ready', 'clock']);
    expect(frames[1]).toMatchObject({ type: 'clock', id: 7, now: expect.any(Number) });
    between(0, frames[1]!.now as number, nowUs());
    socket.close();
  });

  it('a clock line over raw TCP, before or after subscribing', async () => {
    server = buildServer({ transport: 'tcp' });
    const port = await server.listen();
    const socket = net.connect(port, '127.0.0.1');
    const before = nowUs();
    socket.write('{"type":"clock","id":1}\n');
    const line = await new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk).split('\n')[0]!)));
    const frame = JSON.parse(line) as { type: string; id: number; now: number };
    expect(frame).toMatchObject({ type: 'clock', id: 1 });
    between(before, frame.now, nowUs());
    socket.destroy();
  });

  it('a clock event with an ack over Socket.IO', async () => {
    server = buildServer({ transport: 'socket-io' });
    const port = await server.listen();
    const client = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { room: 'a' }, forceNew: true });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const before = nowUs();
    const answer = (await client.timeout(2_000).emitWithAck('clock')) as { now: number };
    between(before, answer.now, nowUs());
    client.close();
  });

  it('refuses a clock command without an id, saying what it needs', () => {
    expect(parseCommand('{"type":"clock"}', 100)).toMatchObject({ type: 'error', code: 'TB_ERR_BAD_REQUEST', message: 'clock needs an "id": a non-negative integer' });
    expect(parseCommand('{"type":"clock","id":3}', 100)).toEqual({ type: 'clock', id: 3 });
    expect(parseCommand('{"type":"time"}', 100)).toMatchObject({ message: expect.stringContaining('"subscribe", "publish" or "clock"') });
  });
});
