import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runHostileCorpus, type HostileCorpusResult } from '../../conformance/run-corpus.ts';
import { casesFor, loadCorpus, type CorpusFamily } from '../../conformance/corpus-file.ts';
import { buildServer } from '../../servers/build-server.ts';
import type { Limits } from '../../protocol/limits.ts';
import { TRANSPORTS, type TransportName } from '../../protocol/transports.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

// Small limits keep the oversize inputs small; a short request timeout lets the slowloris cases run.
const LIMITS: Partial<Limits> = { bodyLimit: 4096, maxPayload: 1024, wsMaxPayload: 4096, tcpMaxLine: 4096, requestTimeoutMs: 500 };

let server: BenchServer | undefined;
let other: http.Server | undefined;
const summary: HostileCorpusResult[] = [];

afterEach(async () => {
  await server?.close();
  server = undefined;
  await new Promise((resolve) => (other ? other.close(resolve) : resolve(undefined)));
  other = undefined;
});

afterAll(() => {
  // The figures the harness will report: inputs tried and handled per transport.
  for (const r of summary) console.info(`hostile corpus: ${r.transport}: ${r.handled}/${r.tried} handled${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`);
});

/** Builds and starts `transport` with the small limits, counting every 5xx it sends. */
async function start(transport: TransportName, socketIo: 'polling-upgrade' | 'websocket' = 'polling-upgrade') {
  server = buildServer({ transport, limits: LIMITS, socketIo: { transports: socketIo } });
  const fiveHundreds: string[] = [];
  server.app?.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500) fiveHundreds.push(`${reply.statusCode} ${request.method} ${request.url.slice(0, 80)}`);
  });
  const port = await server.listen({ port: 0 });
  return { port, fiveHundreds };
}

describe('#runHostileCorpus', () => {
  it.each(TRANSPORTS)('answers every hostile input for %s with a 4xx, the right close code or an error line, then serves a normal client', async (transport) => {
    const { port, fiveHundreds } = await start(transport);
    const result = await runHostileCorpus(transport, port, { limits: LIMITS });
    summary.push(result);
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.tried).toBe(casesFor(loadCorpus(), transport).length);
    expect(result.handled).toBe(result.tried);
    expect(fiveHundreds).toEqual([]);
    expect(server!.stats().slowClientsDropped).toBe(0);
  });

  it('runs the corpus against Socket.IO in websocket-only mode, skipping only the polling sessions', async () => {
    const { port, fiveHundreds } = await start('socket-io', 'websocket');
    const result = await runHostileCorpus('socket-io', port, { limits: LIMITS, socketIoTransports: 'websocket' });
    expect(result.failures).toEqual([]);
    expect(result.handled).toBe(result.tried);
    expect(result.skipped.length).toBeGreaterThan(0);
    expect(result.skipped.every((s) => s.endsWith('needs the polling-upgrade mode'))).toBe(true);
    expect(fiveHundreds).toEqual([]);
  });

  it('skips the slowloris cases when the server would hold them longer than maxCaseMs', async () => {
    server = buildServer({ transport: 'short-polling', limits: { ...LIMITS, requestTimeoutMs: 10_000 } });
    const port = await server.listen({ port: 0 });
    const corpus = loadCorpus().filter((family) => family.family === 'http-framing');
    const result = await runHostileCorpus('short-polling', port, { limits: { ...LIMITS, requestTimeoutMs: 10_000 }, corpus });
    expect(result.skipped.map((s) => s.split(':')[0])).toEqual(['http-framing/slowloris', 'http-framing/slowloris']);
    expect(result.failures).toEqual([]);
  });

  it('reports an input answered with a 5xx, or not answered, as a failure', async () => {
    // A server that fails every request, and never answers /hang.
    other = http.createServer((request, response) => {
      if (request.url === '/hang') return;
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"code":"TB_ERR_INTERNAL"}');
    });
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', resolve));
    const corpus: CorpusFamily[] = [
      {
        file: 'inline.json',
        family: 'inline',
        description: 'two cases the server gets wrong',
        transports: ['short-polling'],
        cases: [
          { name: 'bad cursor', timeoutMs: 1_000, http: { method: 'GET', path: '/poll?room=a&cursor=-1', version: 'HTTP/1.1', headers: [], noHost: false }, expect: { status: 400 } },
          { name: 'hang', timeoutMs: 200, http: { method: 'GET', path: '/hang', version: 'HTTP/1.1', headers: [], noHost: false }, expect: { status: 400 } },
        ],
      },
    ];
    const port = (other.address() as AddressInfo).port;
    const result = await runHostileCorpus('short-polling', port, { corpus });
    expect(result).toMatchObject({ tried: 2, handled: 0 });
    expect(result.failures[0]).toMatch(/^inline\/bad cursor: answered 500/);
    expect(result.failures[1]).toMatch(/^inline\/hang: no answer within 200 ms/);
    expect(result.failures[2]).toMatch(/^after the corpus: GET \/health answered 500/);
  });
});

describe('#loadCorpus', () => {
  it('reads every family, with unique case names and cases for every transport', () => {
    const corpus = loadCorpus();
    expect(corpus.map((family) => family.family).sort()).toEqual(['http-framing', 'http-publish', 'poll', 'socket-io', 'sse', 'tcp', 'ws']);
    for (const transport of TRANSPORTS) {
      const ids = casesFor(corpus, transport).map((c) => c.id);
      expect(new Set(ids).size, transport).toBe(ids.length);
      expect(ids.length, transport).toBeGreaterThanOrEqual(25);
    }
  });
});
