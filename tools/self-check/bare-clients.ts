import net from 'node:net';
import WebSocket from 'ws';
import { nowUs } from '../../protocol/clock.ts';
import type { ServerControl } from '../../bench/scenarios/scenario.ts';

/**
 * What the box itself allows, for the self-check to stand its figures beside: bare clients on the same
 * server process, with none of the harness (no client interface, no wire meter, no sequence checks, no
 * histograms). When a check fails and its bare figure fails the same way, the box is the limit, not the
 * harness.
 */

/** One raw TCP subscriber: one-way latency p50 (socket data event − ts), µs. */
export async function bareTcpLatencyP50(server: ServerControl, rate: number, warmupMs: number, durationMs: number): Promise<number> {
  const room = `bare-tcp-${process.pid}-${Date.now()}`;
  const samples: number[] = [];
  let measuring = false;
  const socket = net.connect({ host: server.host, port: server.port, noDelay: true });
  try {
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      const receivedAt = nowUs();
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, end)) as { ts?: number };
        buffer = buffer.slice(end + 1);
        if (measuring && typeof line.ts === 'number') samples.push(receivedAt - line.ts);
      }
    });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(`${JSON.stringify({ type: 'subscribe', room, cursor: 0 })}\n`);
    await server.schedule({ rate, rooms: [room], durationMs: warmupMs });
    measuring = true;
    await server.schedule({ rate, rooms: [room], durationMs });
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    socket.destroy();
  }
  samples.sort((a, b) => a - b);
  return samples.length > 0 ? samples[samples.length >> 1] : Number.NaN;
}

/** `clients` bare ws subscribers in one room that only count frames: deliveries per CPU-second of this process. */
export async function bareWsPerCpuSecond(server: ServerControl, clients: number, rate: number, durationMs: number): Promise<number> {
  const room = `bare-ws-${process.pid}-${Date.now()}`;
  const sockets: WebSocket[] = [];
  let count = 0;
  try {
    for (let i = 0; i < clients; i++) {
      const ws = new WebSocket(`ws://${server.host}:${server.port}/ws?room=${room}`, { perMessageDeflate: false });
      ws.on('message', () => count++);
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    }
    await server.schedule({ rate, rooms: [room], durationMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const expected = Math.ceil((rate * durationMs) / 1000) * clients;
    count = 0;
    const cpu = process.cpuUsage();
    await server.schedule({ rate, rooms: [room], durationMs });
    const deadline = Date.now() + 15_000;
    while (count < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const used = process.cpuUsage(cpu);
    return count / ((used.user + used.system) / 1e6);
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}
