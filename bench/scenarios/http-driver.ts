import net from 'node:net';
import { nowUs } from '../../protocol/clock.ts';
import { createHistogram, recordUs, type Histogram } from '../measure/histogram.ts';

/**
 * The harness's own HTTP load for http-overhead: N keep-alive HTTP/1.1 connections on raw sockets, each
 * sending its pre-encoded request again as soon as the previous answer is complete (closed loop, no
 * pipelining). Framing by content-length only, which is what the bench servers send for these routes.
 * Lean on purpose, as autocannon is: node:http's client costs more per request than the server does,
 * so a loop on it would measure the load process rather than the route.
 */

export interface HttpRoutePlan {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface DriveResult {
  /** Answers with a 2xx status. */
  requests: number;
  /** Answers with another status, and connections that failed. */
  errors: number;
  elapsedUs: number;
  /** Bytes read + written on every socket over the run. */
  wireBytes: number;
  /** Request sent → answer complete, µs. */
  latency: Histogram;
}

export function encodeRequest(target: { host: string; port: number }, route: HttpRoutePlan): Buffer {
  const body = route.body ?? '';
  let head = `${route.method} ${route.path} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(route.headers)) head += `${name}: ${value}\r\n`;
  if (route.method === 'POST') head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(`${head}\r\n${body}`);
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

export async function driveHttp(target: { host: string; port: number }, route: HttpRoutePlan, connections: number, durationMs: number, signal?: AbortSignal): Promise<DriveResult> {
  const requestBytes = encodeRequest(target, route);
  const latency = createHistogram();
  const result = { requests: 0, errors: 0, wireBytes: 0 };
  const started = nowUs();
  const endUs = started + durationMs * 1000;

  const connection = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (nowUs() >= endUs || signal?.aborted) return void socket.end();
        sentAt = nowUs();
        socket.write(requestBytes);
      };
      socket.once('connect', send);
      socket.on('data', (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        for (;;) {
          const headerEnd = buffer.indexOf(HEADER_END);
          if (headerEnd < 0) return;
          const head = buffer.toString('latin1', 0, headerEnd);
          const length = CONTENT_LENGTH.exec(head);
          if (!length) {
            // Not framed by content-length (chunked, or no body length): count it and stop this connection.
            result.errors++;
            return void socket.destroy();
          }
          const total = headerEnd + HEADER_END.length + Number(length[1]);
          if (buffer.length < total) return;
          const status = Number(head.slice(9, 12));
          if (status >= 200 && status < 300) {
            result.requests++;
            recordUs(latency, nowUs() - sentAt);
          } else result.errors++;
          buffer = buffer.subarray(total);
          if (buffer.length === 0) return send();
        }
      });
      socket.on('error', () => result.errors++);
      socket.once('close', () => {
        result.wireBytes += socket.bytesRead + socket.bytesWritten;
        resolve();
      });
    });

  await Promise.all(Array.from({ length: connections }, connection));
  return { ...result, elapsedUs: nowUs() - started, latency };
}
