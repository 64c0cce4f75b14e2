import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConnection, parseHead } from '../../clients/http-connection.ts';
import { WireMeter } from '../../clients/wire-meter.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** A scripted server: `answer` gets each request's text and its number over all connections, and writes what it likes. */
async function scripted(answer: (request: string, socket: net.Socket, n: number) => void) {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => answer(chunk.toString('latin1'), socket, ++n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as net.AddressInfo).port, connections: () => sockets.size };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('#parseHead', () => {
  it('reads the status, content-length and connection: close', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive')).toEqual({ status: 200, contentLength: 12, close: false });
    expect(parseHead('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close')).toEqual({ status: 404, contentLength: 0, close: true });
    expect(parseHead('HTTP/1.0 200 OK\r\ncontent-length: 1')).toEqual({ status: 200, contentLength: 1, close: true });
  });

  it('says what is wrong with a head it cannot frame', () => {
    expect(parseHead('SSH-2.0-OpenSSH')).toMatch(/not an HTTP\/1.x status line/);
    expect(parseHead('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked')).toMatch(/transfer-encoding 'chunked' is not supported/);
    expect(parseHead('HTTP/1.1 200 OK')).toBe('the answer has no content-length');
    expect(parseHead('HTTP/1.1 200 OK\r\ncontent-length: -1')).toBe("bad content-length '-1'");
    expect(parseHead('HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2')).toBe("bad content-length '2'");
  });
});

describe('HttpConnection', () => {
  it('sends the request node:http would, reuses one socket, and reassembles answers split anywhere', async () => {
    const requests: string[] = [];
    const { port } = await scripted((request, socket, n) => {
      requests.push(request);
      const bytes = Buffer.from(ok(`{"n":${n},"text":"héllo"}`));
      // Answer 2 arrives a byte at a time, answer 3 in two pieces across the head's end.
      if (n === 2) {
        let i = 0;
        const next = () => {
          if (i < bytes.length) socket.write(bytes.subarray(i, ++i), () => setImmediate(next));
        };
        next();
      }
      else if (n === 3) (socket.write(bytes.subarray(0, 60)), setTimeout(() => socket.write(bytes.subarray(60)), 5));
      else socket.write(bytes);
    });
    const meter = new WireMeter();
    const connection = new HttpConnection({ host: '127.0.0.1', port }, meter);
    try {
      for (let n = 1; n <= 3; n++) {
        const answer = await connection.get(`/poll?room=r&cursor=${n}`);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toEqual({ n, text: 'héllo' });
        expect(answer.receivedAt).toBeGreaterThan(0);
      }
    } finally {
      await connection.destroy();
    }
    expect(requests[0]).toBe(`GET /poll?room=r&cursor=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    expect(meter.bytes().sockets).toBe(1);
    expect(meter.total().written).toBe(requests.reduce((sum, r) => sum + r.length, 0));
  });

  it('posts a JSON body with the headers, order and spelling node:http uses', async () => {
    const requests: string[] = [];
    const { port } = await scripted((request, socket) => {
      requests.push(request);
      socket.write(ok('{"seq":1}'));
    });
    const connection = new HttpConnection({ host: '127.0.0.1', port }, new WireMeter());
    try {
      const answer = await connection.postJson('/publish', '{"room":"r","payload":"é"}');
      expect([answer.status, answer.body]).toEqual([200, '{"seq":1}']);
    } finally {
      await connection.destroy();
    }
    // As captured from http.request({ method: 'POST', headers: { 'content-type', 'content-length' }, agent: keep-alive }).
    expect(Buffer.from(requests[0]!, 'latin1').toString()).toBe(`POST /publish HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 27\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n{"room":"r","payload":"é"}`);
  });

  it('opens a new socket after the server closes one (connection: close, or an idle timeout)', async () => {
    const { port } = await scripted((_request, socket, n) => {
      socket.write(ok('{}', n === 1 ? 'connection: close\r\n' : ''));
      if (n === 1) socket.end();
      if (n === 2) setTimeout(() => socket.destroy(), 10);
    });
    const meter = new WireMeter();
    const connection = new HttpConnection({ host: '127.0.0.1', port }, meter);
    try {
      for (let n = 1; n <= 3; n++) {
        expect((await connection.get('/poll?room=r&cursor=0')).status).toBe(200);
        // Let the client see the server's close before the next request (connections 1 and 2 are closed).
        if (n < 3) await waitFor(() => meter.openSockets().length === 0, 'the close of the server');
      }
    } finally {
      await connection.destroy();
    }
    expect(meter.bytes().sockets).toBe(3);
  });

  it('rejects with a clear error on a close before the answer, a refused connection, a bad answer, or an abort', async () => {
    const { port } = await scripted((request, socket) => {
      if (request.includes('cursor=1')) socket.destroy();
      else if (request.includes('cursor=2')) socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      else if (request.includes('cursor=5')) socket.write(ok('{}') + 'extra');
      else if (request.includes('cursor=6')) socket.write(`HTTP/1.1 200 OK\r\nx-filler: ${'x'.repeat(20_000)}`);
      // cursor=3: never answered (a held long poll)
    });
    const connection = new HttpConnection({ host: '127.0.0.1', port }, new WireMeter());
    try {
      await expect(connection.get('/poll?cursor=1')).rejects.toThrow(/closed the connection before answering/);
      await expect(connection.get('/poll?cursor=2')).rejects.toThrow(/transfer-encoding 'chunked' is not supported/);
      await expect(connection.get('/poll?cursor=5')).rejects.toThrow(/more bytes than content-length announced/);
      await expect(connection.get('/poll?cursor=6')).rejects.toThrow(/response head longer than 16384 bytes/);
      const abort = new AbortController();
      const held = connection.get('/poll?cursor=3', abort.signal);
      await expect(connection.get('/poll?cursor=4')).rejects.toThrow(/already in flight/);
      setTimeout(() => abort.abort(), 10);
      await expect(held).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await connection.destroy();
    }
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const closedPort = (free.address() as net.AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const refused = new HttpConnection({ host: '127.0.0.1', port: closedPort }, new WireMeter());
    await expect(refused.get('/poll')).rejects.toThrow(/ECONNREFUSED/);
    await refused.destroy();
  });
});
