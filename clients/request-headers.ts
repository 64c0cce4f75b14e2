import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The request headers a client sends beyond its own (`run --request-headers minimal|browser|<file>`,
 * `--cookie-bytes`). Our clients send about 100 B of headers per request, the least HTTP allows; a page in a
 * browser sends several hundred more on every poll (User-Agent, Accept*, sec-ch-ua*, Sec-Fetch-*, Referer),
 * and real sites add cookies. `browser` is what Debian's chromium sent, captured by
 * tools/browser-headers/capture.ts into clients/browser-headers.json.
 *
 * Three kinds of request, as a browser makes them: a fetch (polls and publishes of the polling transports,
 * Socket.IO's polling), an EventSource (SSE) and a WebSocket upgrade (ws). Values hold {origin} where the
 * page's host:port stood; the client fills in its own target.
 */

export const BROWSER_HEADERS_FILE = fileURLToPath(new URL('./browser-headers.json', import.meta.url));
export const ORIGIN_PLACEHOLDER = '{origin}';
/** Headers every client writes itself (lower case): a header set must not repeat them. */
export const CLIENT_OWN_HEADERS = ['host', 'connection', 'content-length', 'content-type', 'transfer-encoding', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

const headerPairs = z.array(z.tuple([z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name'), z.string().regex(/^[\t\x20-\x7e]*$/, 'printable ASCII')]));

export const headerSetFileSchema = z.object({
  $comment: z.string().optional(),
  /** Where the set came from, e.g. the browser's version. */
  browser: z.string().optional(),
  fetch: headerPairs,
  eventSource: headerPairs,
  websocket: headerPairs,
});
export type HeaderSetFile = z.infer<typeof headerSetFileSchema>;

export type RequestKind = 'fetch' | 'eventSource' | 'websocket';

/** A header set as the clients take it: name/value pairs per kind of request, {origin} still in place. */
export interface RequestHeaders {
  /** What the set is called in step ids: minimal, browser, or the file's name. */
  name: string;
  fetch: Array<[string, string]>;
  eventSource: Array<[string, string]>;
  websocket: Array<[string, string]>;
}

export const MINIMAL_HEADERS: RequestHeaders = { name: 'minimal', fetch: [], eventSource: [], websocket: [] };

/** Reads and checks a header set file; throws with what was wrong. */
export function readHeaderSet(file: string, name: string): RequestHeaders {
  const parsed = headerSetFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  for (const kind of ['fetch', 'eventSource', 'websocket'] as const) {
    const own = parsed.data[kind].find(([header]) => CLIENT_OWN_HEADERS.includes(header.toLowerCase()));
    if (own) throw new Error(`${file}: ${kind}: ${own[0]} is a header the client writes itself`);
  }
  return { name, fetch: parsed.data.fetch, eventSource: parsed.data.eventSource, websocket: parsed.data.websocket };
}

/** The same set with a Cookie header of exactly `bytes` bytes of value on every request (0: none). */
export function withCookie(set: RequestHeaders, bytes: number): RequestHeaders {
  if (bytes <= 0) return set;
  const cookie: [string, string] = ['Cookie', `tb=${'x'.repeat(Math.max(0, bytes - 3))}`.slice(0, bytes)];
  return { ...set, fetch: [...set.fetch, cookie], eventSource: [...set.eventSource, cookie], websocket: [...set.websocket, cookie] };
}

/** One kind's headers with {origin} filled in for the client's target. */
export function headersFor(set: RequestHeaders | undefined, kind: RequestKind, target: { host: string; port: number }): Array<[string, string]> {
  if (!set) return [];
  const origin = `${target.host}:${target.port}`;
  return set[kind].map(([name, value]) => [name, value.split(ORIGIN_PLACEHOLDER).join(origin)]);
}

/** The header lines as written on the wire: `Name: value\r\n` each. */
export function headerLines(pairs: Array<[string, string]>): string {
  return pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('');
}
