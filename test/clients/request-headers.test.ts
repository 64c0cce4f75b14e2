import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConnection } from '../../clients/http-connection.ts';
import { BROWSER_HEADERS_FILE, headerLines, headersFor, readHeaderSet, withCookie } from '../../clients/request-headers.ts';
import { WireMeter } from '../../clients/wire-meter.ts';

/** A server that keeps each request head and answers an empty 200. */
async function recorder(): Promise<{ port: number; heads: string[]; close: () => Promise<void> }> {
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      heads.push(buffer.slice(0, end + 4));
      buffer = buffer.slice(end + 4);
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, heads, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('request headers (run --request-headers, --cookie-bytes)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a poll carries the browser set after the client\'s own headers: exactly its bytes more, {origin} filled in', async () => {
    const server = await recorder();
    const target = { host: '127.0.0.1', port: server.port };
    const browser = readHeaderSet(BROWSER_HEADERS_FILE, 'browser');
    const extra = headersFor(browser, 'fetch', target);
    const plain = new HttpConnection(target, new WireMeter());
    const dressed = new HttpConnection(target, new WireMeter(), extra);
    await plain.get('/poll?room=a&cursor=0');
    await dressed.get('/poll?room=a&cursor=0');
    await plain.destroy();
    await dressed.destroy();
    await server.close();
    const [minimal, full] = server.heads;
    expect(full!.length - minimal!.length).toBe(Buffer.byteLength(headerLines(extra)));
    expect(full).toContain(`Referer: http://127.0.0.1:${server.port}/\r\n`);
    expect(full).not.toContain('{origin}');
    // Several hundred bytes a poll, as issue 12 measured from a page (chromium 156 sent 509 B in all).
    expect(full!.length).toBeGreaterThan(450);
  });

  it('a cookie of exactly n bytes of value on every kind of request', () => {
    const set = withCookie({ name: 'minimal', fetch: [], eventSource: [], websocket: [] }, 500);
    for (const kind of ['fetch', 'eventSource', 'websocket'] as const) {
      expect(set[kind]).toHaveLength(1);
      expect(set[kind][0]![0]).toBe('Cookie');
      expect(set[kind][0]![1]).toHaveLength(500);
    }
  });

  it('refuses a file that repeats a header the client writes itself, or holds a bad name', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tb-headers-'));
    const own = path.join(dir, 'own.json');
    writeFileSync(own, JSON.stringify({ fetch: [['Host', 'x']], eventSource: [], websocket: [] }));
    expect(() => readHeaderSet(own, 'own')).toThrow(/fetch: Host is a header the client writes itself/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ fetch: [['Bad Name', 'x']], eventSource: [], websocket: [] }));
    expect(() => readHeaderSet(bad, 'bad')).toThrow(/fetch\.0\.0: a header name/);
  });
});
