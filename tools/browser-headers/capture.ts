import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { findChromium, INSTALL_CHROMIUM } from '../../clients/browser/find-chromium.ts';
import { BROWSER_HEADERS_FILE, CLIENT_OWN_HEADERS, ORIGIN_PLACEHOLDER, type HeaderSetFile } from '../../clients/request-headers.ts';

/**
 * What Debian's chromium really sends: a page served by a bare recording server (node:net, so every header
 * arrives as written) makes a fetch of /poll, opens an EventSource on /sse and a WebSocket on /ws; the
 * server keeps each request's head. `npx tsx tools/browser-headers/capture.ts` writes them to
 * clients/browser-headers.json (the `--request-headers browser` set); test/browser/request-headers.test.ts
 * captures again and compares with that file.
 *
 * The headers a client writes itself (Host, Connection, Upgrade, the WebSocket key and version…) are left
 * out; `127.0.0.1:<port>` in a value becomes {origin}, which the client fills with its own target.
 */

interface CapturedHead {
  method: string;
  path: string;
  headers: Array<[string, string]>;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>capture</title><script>
(async () => {
  await fetch('/poll?room=lobby&cursor=0').then((r) => r.text());
  await new Promise((resolve) => { const es = new EventSource('/sse?room=lobby'); es.onopen = () => { es.close(); resolve(); }; es.onerror = () => { es.close(); resolve(); }; });
  await new Promise((resolve) => { const ws = new WebSocket('ws://' + location.host + '/ws?room=lobby&cursor=0'); ws.onclose = resolve; ws.onerror = resolve; });
  document.title = 'done';
})();
</script>`;

function parseHead(text: string): CapturedHead {
  const [requestLine, ...lines] = text.split('\r\n');
  const [method = '', path = ''] = requestLine!.split(' ');
  const headers = lines.filter((l) => l !== '').map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string];
  });
  return { method, path, headers };
}

/** A server that records every request head and answers just enough for the page to go on. */
async function recordingServer(): Promise<{ port: number; heads: CapturedHead[]; close: () => Promise<void> }> {
  const heads: CapturedHead[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n\r\n')) !== -1) {
        const head = parseHead(buffer.slice(0, end));
        buffer = buffer.slice(end + 4);
        heads.push(head);
        if (head.path === '/') socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(PAGE)}\r\n\r\n${PAGE}`);
        else if (head.path.startsWith('/poll')) socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 27\r\n\r\n{"messages":[],"cursor":0}\n');
        else if (head.path.startsWith('/sse')) socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n: ready\n\n');
        else socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    heads,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request headers chromium sends for a fetch, an EventSource and a WebSocket upgrade, as the file holds them. */
export async function captureBrowserHeaders(executablePath: string): Promise<HeaderSetFile> {
  const recorder = await recordingServer();
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${recorder.port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'done', undefined, { timeout: 15_000 });
    const origin = `127.0.0.1:${recorder.port}`;
    const kept = (head: CapturedHead | undefined, what: string): Array<[string, string]> => {
      if (!head) throw new Error(`chromium sent no ${what} request`);
      return head.headers
        .filter(([name]) => !CLIENT_OWN_HEADERS.includes(name.toLowerCase()))
        .map(([name, value]) => [name, value.split(origin).join(ORIGIN_PLACEHOLDER)] as [string, string]);
    };
    return {
      $comment: 'Request headers Debian\'s chromium sends, captured by tools/browser-headers/capture.ts (run it to refresh); the headers our clients write themselves are left out, {origin} is the target host:port. Used by run --request-headers browser.',
      browser: browser.version(),
      fetch: kept(recorder.heads.find((h) => h.path.startsWith('/poll')), 'fetch'),
      eventSource: kept(recorder.heads.find((h) => h.path.startsWith('/sse')), 'EventSource'),
      websocket: kept(recorder.heads.find((h) => h.path.startsWith('/ws')), 'WebSocket'),
    };
  } finally {
    await browser.close();
    await recorder.close();
  }
}

/** The file's text: one header pair a line, so a refresh reads as a diff of headers. */
export function formatHeaderSet(set: HeaderSetFile): string {
  const pairs = (list: Array<[string, string]>) => `[\n${list.map((pair) => `    ${JSON.stringify(pair)}`).join(',\n')}\n  ]`;
  return `{\n  "$comment": ${JSON.stringify(set.$comment)},\n  "browser": ${JSON.stringify(set.browser)},\n  "fetch": ${pairs(set.fetch)},\n  "eventSource": ${pairs(set.eventSource)},\n  "websocket": ${pairs(set.websocket)}\n}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const executable = findChromium();
  if (!executable) {
    process.stderr.write(`capture: no chromium found (CHROMIUM_PATH or the PATH); install it with: ${INSTALL_CHROMIUM}\n`);
    process.exit(2);
  }
  captureBrowserHeaders(executable).then(
    (captured) => {
      writeFileSync(BROWSER_HEADERS_FILE, formatHeaderSet(captured));
      const bytes = (pairs: Array<[string, string]>) => pairs.reduce((n, [name, value]) => n + name.length + 2 + value.length + 2, 0);
      process.stdout.write(`Wrote ${BROWSER_HEADERS_FILE} (${captured.browser}): fetch ${bytes(captured.fetch)} B, EventSource ${bytes(captured.eventSource)} B, WebSocket ${bytes(captured.websocket)} B of headers beyond the client's own.\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`capture failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
