import { request as httpRequest, Agent } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../servers/build-server.ts';
import { clientIdOf } from '../../servers/connection-meter.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';
import { hostOf } from '../../bin/live-page-routes.ts';

/** Pages of other origins (servers/cors.ts) and the per-client byte meter (servers/connection-meter.ts). */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: Socket;
}

function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: req.socket! }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('servers for browsers', () => {
  let server: BenchServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers a request with an Origin with access-control-allow-origin, and one without as before', async () => {
    server = buildServer({ transport: 'short-polling' });
    const port = await server.listen();
    const cross = await send(port, '/poll?room=a&cursor=0', { headers: { origin: 'http://127.0.0.1:1' } });
    expect(cross.headers['access-control-allow-origin']).toBe('*');
    const plain = await send(port, '/poll?room=a&cursor=0');
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await send(port, '/publish', { method: 'OPTIONS', headers: { origin: 'http://x', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('content-type');
  });

  it('gives a hijacked SSE stream the header too', async () => {
    server = buildServer({ transport: 'sse' });
    const port = await server.listen();
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/sse?room=a', headers: { origin: 'http://x' } }, (res) => {
        resolve(res.headers);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers['content-type']).toBe('text/event-stream');
    expect(headers['access-control-allow-origin']).toBe('*');
  });

  it('answers Socket.IO\'s polling with access-control-allow-origin only when the request has an Origin', async () => {
    server = buildServer({ transport: 'socket-io' });
    const port = await server.listen();
    const handshake = '/socket.io/?EIO=4&transport=polling';
    const cross = await send(port, handshake, { headers: { origin: 'http://x' } });
    expect(cross.status).toBe(200);
    expect(cross.headers['access-control-allow-origin']).toBe('*');
    const plain = await send(port, handshake);
    expect(plain.status).toBe(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('counts each client\'s bytes on the server\'s sockets, per request, on a socket two clients share', async () => {
    server = buildServer({ transport: 'short-polling' });
    const port = await server.listen();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let seen = { read: 0, written: 0 };
    const mine = { sent: 0, received: 0 };
    const other = { sent: 0, received: 0 };
    const path = (cid: string) => `/poll?room=a&cursor=0&cid=${cid}`;
    // The client's socket counts what it wrote and read; the server must book the same to each cid.
    for (const cid of ['me', 'you', 'me', 'you', 'me']) {
      const answer = await send(port, path(cid), { agent });
      const now = { read: answer.socket.bytesRead, written: answer.socket.bytesWritten };
      const book = cid === 'me' ? mine : other;
      book.sent += now.written - seen.written;
      book.received += now.read - seen.read;
      seen = now;
    }
    const published = await send(port, '/publish?cid=me', { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: '{"room":"a","payload":"hello"}' });
    mine.sent += published.socket.bytesWritten - seen.written;
    mine.received += published.socket.bytesRead - seen.read;
    const meter = JSON.parse((await send(port, '/meter?client=me', { agent })).body) as { client: string; sent: number; received: number };
    expect(meter).toEqual({ client: 'me', ...mine });
    expect(JSON.parse((await send(port, '/meter?client=you')).body)).toEqual({ client: 'you', ...other });
    expect(JSON.parse((await send(port, '/meter?client=nobody')).body)).toEqual({ client: 'nobody', sent: 0, received: 0 });
    agent.destroy();
  });

  it('refuses a meter query without a valid client id, saying what a client id is', async () => {
    server = buildServer({ transport: 'ws' });
    const port = await server.listen();
    const bad = await send(port, '/meter?client=%3Cscript%3E');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'TB_ERR_BAD_REQUEST', message: expect.stringMatching(/1-64 of A-Z/) });
  });

  it('reads the client id of a URL, and only a well-formed one', () => {
    expect(clientIdOf('/ws?room=a&cid=Ab_9-x')).toBe('Ab_9-x');
    expect(clientIdOf('/ws?room=a')).toBeUndefined();
    expect(clientIdOf('/ws?cid=a%20b')).toBeUndefined();
    expect(clientIdOf('/ws?cid=' + 'x'.repeat(65))).toBeUndefined();
  });

  it('takes a Host header\'s name for the live page\'s origins, and nothing that is not a host', () => {
    expect(hostOf('127.0.0.1:4000')).toBe('127.0.0.1');
    expect(hostOf('localhost')).toBe('localhost');
    expect(hostOf('[::1]:4000')).toBe('[::1]');
    expect(hostOf('evil.example; script-src *')).toBeUndefined();
    expect(hostOf('a b')).toBeUndefined();
    expect(hostOf(undefined)).toBeUndefined();
  });
});
