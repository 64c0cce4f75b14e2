import http from 'node:http';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { HTTP_TRANSPORTS, type HttpTransportName } from '../../protocol/transports.ts';
import { transportHarness } from '../helpers/transport-harness.ts';

/** One bad request, the status it must get and a word its JSON `message` must contain. */
interface BadCase {
  name: string;
  request: InjectOptions;
  status: number;
  word: RegExp;
}

const LIMITS = { bodyLimit: 4096, maxPayload: 1024 };
const json = { 'content-type': 'application/json' };
const publish = (payload: unknown, headers: Record<string, string> = json): InjectOptions => ({
  method: 'POST',
  url: '/publish',
  headers,
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

const CURSORS = ['-1', '1.5', 'abc', '1e30', ''];
const ROOMS: [string, string][] = [
  ['empty', ''],
  ['too long', 'x'.repeat(65)],
  ['with a space', 'a%20b'],
  ['a path', '..%2Fx'],
  ['unicode', '%C3%A9t%C3%A9'],
  ['badly escaped', '%ZZ'],
];

/** GET /poll or GET /sse with every malformed cursor and room. */
const queryCases = (path: string): BadCase[] => [
  ...CURSORS.map((c) => ({ name: `${path} cursor '${c}'`, request: { url: `${path}?room=ok&cursor=${c}` }, status: 400, word: /cursor/ })),
  ...ROOMS.map(([name, room]) => ({ name: `${path} room ${name}`, request: { url: `${path}?room=${room}` }, status: 400, word: /room/ })),
  { name: `${path} without a room`, request: { url: `${path}?cursor=1` }, status: 400, word: /room/ },
  { name: `${path} with two rooms`, request: { url: `${path}?room=a&room=b` }, status: 400, word: /room/ },
];

const COMMON: BadCase[] = [
  { name: 'invalid JSON', request: publish('{"room":'), status: 400, word: /JSON/ },
  { name: 'empty JSON body', request: publish(''), status: 400, word: /empty/ },
  { name: 'JSON that is no object', request: publish([1, 2]), status: 400, word: /object/ },
  { name: 'null body', request: publish(null), status: 400, word: /object/ },
  { name: 'missing payload', request: publish({ room: 'ok' }), status: 400, word: /payload/ },
  { name: 'missing room', request: publish({ payload: 'x' }), status: 400, word: /room/ },
  { name: 'number room', request: publish({ room: 5, payload: 'x' }), status: 400, word: /room/ },
  { name: 'number payload', request: publish({ room: 'ok', payload: 7 }), status: 400, word: /payload/ },
  { name: 'array payload', request: publish({ room: 'ok', payload: ['x'] }), status: 400, word: /payload/ },
  { name: 'bad room in body', request: publish({ room: '../x', payload: 'x' }), status: 400, word: /room/ },
  { name: 'extra field', request: publish({ room: 'ok', payload: 'x', admin: true }), status: 400, word: /additional/ },
  { name: 'body over bodyLimit', request: publish({ room: 'ok', payload: 'x'.repeat(5000) }), status: 413, word: /large/ },
  { name: 'payload over maxPayload', request: publish({ room: 'ok', payload: 'x'.repeat(1025) }), status: 413, word: /payload/ },
  { name: 'text/plain body', request: publish({ room: 'ok', payload: 'x' }, { 'content-type': 'text/plain' }), status: 415, word: /content-type/ },
  { name: 'form body', request: publish('room=ok&payload=x', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, word: /content-type/ },
  { name: 'GET /publish', request: { url: '/publish' }, status: 404, word: /no route/ },
  { name: 'POST /health', request: { method: 'POST', url: '/health', headers: json, payload: '{}' }, status: 404, word: /no route/ },
  { name: 'unknown route', request: { url: '/nope/../etc?x=1' }, status: 404, word: /no route/ },
];

const CASES: Record<HttpTransportName, BadCase[]> = {
  'short-polling': [...COMMON, ...queryCases('/poll')],
  'long-polling': [...COMMON, ...queryCases('/poll')],
  sse: [
    ...COMMON,
    ...queryCases('/sse'),
    { name: 'bad Last-Event-ID', request: { url: '/sse?room=ok', headers: { 'last-event-id': '-5' } }, status: 400, word: /Last-Event-ID/ },
    { name: 'huge Last-Event-ID', request: { url: '/sse?room=ok', headers: { 'last-event-id': '99999999999999999' } }, status: 400, word: /Last-Event-ID/ },
  ],
  ws: COMMON,
  'socket-io': COMMON,
};

/** Opens a real SSE stream and resolves with its text once the ready comment is in. */
function sseReady(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/sse?room=ok&cursor=0', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes(': ready')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', reject);
  });
}

describe('#bad input', () => {
  const h = transportHarness();

  it.each(HTTP_TRANSPORTS)('the %s server answers every bad request with a 4xx JSON message, then serves a good one', async (transport) => {
    const server = h.build({ transport, limits: LIMITS });
    const app = server.app!;
    for (const bad of CASES[transport]) {
      const res = await app.inject(bad.request);
      const label = `${transport}: ${bad.name}`;
      expect(res.statusCode, label).toBe(bad.status);
      expect(res.headers['content-type'], label).toMatch(/^application\/json/);
      const body = res.json();
      expect(body, label).toMatchObject({ statusCode: bad.status, code: expect.stringMatching(/^TB_ERR_/) });
      expect(body.message, label).toMatch(bad.word);
    }

    const ack = await app.inject(publish({ room: 'ok', payload: 'fine' }));
    expect(ack.json()).toEqual({ seq: 1, room: 'ok' });
    expect((await app.inject({ url: '/health?verbose=1' })).json()).toMatchObject({ status: 'ok', transport, published: 1 });
    if (transport === 'short-polling' || transport === 'long-polling') {
      const poll = await app.inject({ url: '/poll?room=ok&cursor=0&unknown=1' });
      expect(poll.json()).toMatchObject({ messages: [{ seq: 1, payload: 'fine' }], cursor: 1 });
    }
    if (transport === 'sse') {
      // inject cannot end a stream: use a real socket.
      const port = await server.listen();
      expect(await sseReady(port)).toMatch(/^retry: 1000\n: ready 1\n\nid: 1\n/);
    }
  });
});
