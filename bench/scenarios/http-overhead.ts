import autocannon from 'autocannon';
import { z } from 'zod';
import { polls, transportFacts, type TransportName } from '../../protocol/transports.ts';
import { driveHttp, type HttpRoutePlan } from './http-driver.ts';
import { byteSize, count, serverOptions } from './params.ts';
import { repeatRooms } from './rooms.ts';
import { defineScenario, type PlannedStep } from './scenario.ts';

/**
 * http-overhead: the cost of one HTTP exchange on a transport's own routes, measured twice on the same
 * route in the same repeat: by autocannon (its programmatic API) and by the harness itself (http-driver.ts:
 * a closed loop per keep-alive connection on raw sockets). Routes: GET /poll (polling
 * transports; cursor 0 on a room holding one message, so every poll answers at once with that message,
 * long polling included) and POST /publish (every HTTP transport). Raw TCP has no HTTP route: no steps.
 */

export const HTTP_ROUTES = ['poll', 'publish'] as const;
export type HttpRoute = (typeof HTTP_ROUTES)[number];

export const httpOverheadParams = z.object({
  /** The route driven: GET /poll or POST /publish. */
  route: z.enum(HTTP_ROUTES),
  /** Keep-alive connections, each a closed loop. */
  connections: count,
  /** Payload of a publish, bytes (id key `payload`, on the publish route only). */
  payloadBytes: byteSize,
});
export type HttpOverheadParams = z.infer<typeof httpOverheadParams>;

/** The HTTP routes a transport's server has: polling serves GET /poll, every HTTP server POST /publish, raw TCP none. */
export function routesFor(transport: TransportName): HttpRoute[] {
  if (!transportFacts(transport).http) return [];
  return polls(transport) ? ['poll', 'publish'] : ['publish'];
}

export interface RouteRequest extends HttpRoutePlan {
  label: string;
}

export function routeRequest(route: HttpRoute, room: string, payloadBytes: number): RouteRequest {
  if (route === 'poll') return { label: 'GET /poll', method: 'GET', path: `/poll?room=${room}&cursor=0`, headers: {} };
  const body = JSON.stringify({ room, payload: 'p'.repeat(payloadBytes) });
  return { label: 'POST /publish', method: 'POST', path: '/publish', body, headers: { 'content-type': 'application/json' } };
}

/** One autocannon run on the route (its programmatic API, in this process). */
export async function runAutocannon(target: { host: string; port: number }, route: RouteRequest, connections: number, durationMs: number) {
  const result = await autocannon({
    url: `http://${target.host}:${target.port}${route.path}`,
    method: route.method,
    headers: route.headers,
    ...(route.body !== undefined ? { body: route.body } : {}),
    connections,
    duration: durationMs / 1000,
    // autocannon runs at least one sample interval (1 s by default) whatever the duration; keep it within the window.
    sampleInt: Math.min(1000, durationMs),
  });
  return result;
}

export const httpOverhead = defineScenario({
  name: 'http-overhead',
  network: false,
  params: httpOverheadParams,
  // The payload size only shapes a publish, so only a publish step's id names it.
  id: [['route', 'route'], ['connections', 'connections'], ['payloadBytes', 'payload', (bytes, params) => (params.route === 'publish' ? String(bytes) : undefined)]],

  plan(config, transport) {
    return routesFor(transport).map((route): PlannedStep<HttpOverheadParams> => ({
      params: { route, connections: config.autocannonConnections, payloadBytes: config.payload[0]! },
      server: serverOptions(config, transport),
    }));
  },

  async runRepeat(ctx) {
    const { route, connections, payloadBytes } = ctx.params;
    if (!routesFor(ctx.step.transport).includes(route)) throw new Error(`http-overhead: ${ctx.step.transport} has no ${route} route`);
    const [room] = repeatRooms('http', 1);
    const target = { host: ctx.server.host, port: ctx.server.port };
    const req = routeRequest(route, room!, payloadBytes);

    // The room's one message: every poll at cursor 0 answers with it at once.
    const seed = await fetch(`http://${target.host}:${target.port}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room, payload: 'seed' }) });
    if (!seed.ok) throw new Error(`http-overhead: seeding room ${room} failed with HTTP ${seed.status}`);

    // Warm both sides (JIT, sockets), then autocannon, then the harness, on the same route.
    if (ctx.warmupMs > 0) await driveHttp(target, req, connections, ctx.warmupMs, ctx.signal);
    ctx.progress(0.1);
    const cannon = await runAutocannon(target, req, connections, ctx.durationMs);
    ctx.signal.throwIfAborted();
    ctx.progress(0.5);
    await ctx.server.startResourceWindow();
    ctx.generator.start();
    const own = await driveHttp(target, req, connections, ctx.durationMs, ctx.signal);
    const generator = ctx.generator.end();
    const server = await ctx.server.endResourceWindow();

    const cannonRequests = cannon.requests.total;
    const cannonSeconds = Math.max(cannon.duration, 1e-3);
    const one = (v: number) => ({ median: v, min: v, max: v });
    const notes = [
      `harness: ${own.requests} requests in ${(own.elapsedUs / 1e6).toFixed(2)} s over ${connections} keep-alive connections (closed loop), ${own.requests > 0 ? Math.round(own.wireBytes / own.requests) : 0} bytes per request both ways`,
      "autocannon's bytes per request count the response only (its throughput figure)",
    ];
    if (own.errors > 0) notes.push(`harness: ${own.errors} requests failed or answered non-2xx`);
    return {
      values: { requestsPerSec: own.requests / (own.elapsedUs / 1e6) },
      histograms: { latencyUncorrected: own.latency },
      server,
      generator,
      extra: {
        autocannon: {
          route: req.label,
          requestsPerSec: one(cannonRequests / cannonSeconds),
          bytesPerRequest: one(cannonRequests > 0 ? cannon.throughput.total / cannonRequests : 0),
          latencyP50Ms: one(cannon.latency.p50),
          latencyP99Ms: one(cannon.latency.p99),
          errors: cannon.errors + cannon.non2xx,
        },
      },
      notes,
    };
  },
});
