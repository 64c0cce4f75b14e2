import { driveHttp } from '../../bench/scenarios/http-driver.ts';
import { routeRequest, runAutocannon, type RouteRequest } from '../../bench/scenarios/http-overhead.ts';
import { BOUNDS, busyPolled, withServer, type CheckRow } from './check-support.ts';

interface PairedRates {
  /** Median of the pairs' harness/autocannon ratios, minus 1. */
  difference: number;
  lowest: number;
  highest: number;
  own: { requests: number; seconds: number; errors: number };
  cannon: { requests: number; seconds: number; errors: number };
}

/** `pairs` alternating slices on one route, autocannon then the harness; the median of the pairs' ratios. */
async function pairedRates(target: { host: string; port: number }, route: RouteRequest, connections: number, pairs: number, sliceMs: number): Promise<PairedRates> {
  const own = { requests: 0, seconds: 0, errors: 0 };
  const cannon = { requests: 0, seconds: 0, errors: 0 };
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const c = await runAutocannon(target, route, connections, sliceMs);
    cannon.requests += c.requests.total;
    cannon.seconds += c.duration;
    cannon.errors += c.errors + c.non2xx;
    const h = await driveHttp(target, route, connections, sliceMs);
    own.requests += h.requests;
    own.seconds += h.elapsedUs / 1e6;
    own.errors += h.errors;
    ratios.push(h.requests / (h.elapsedUs / 1e6) / (c.requests.total / c.duration));
  }
  ratios.sort((a, b) => a - b);
  // The upper median for an even count: with 20 pairs, the 11th ratio.
  return { difference: ratios[ratios.length >> 1]! - 1, lowest: ratios[0]! - 1, highest: ratios[ratios.length - 1]! - 1, own, cannon };
}

/**
 * Both loads on the same route of the same server, alternating in short pairs (autocannon, then harness);
 * the figure is the median of the pairs' ratios. This box's throughput drifts by ±20 % from one second to
 * the next, so a single long run each, or a ratio of totals, measures the drift; many short pairs with a
 * median measure the two loads. Checked with the load process busy-polling, and shown without: a sleeping
 * load process pays this VM's ~100 µs idle wake-up on a reply, and the harness, which spends less CPU per
 * request than autocannon, sleeps more often, so it pays it more often.
 */
export async function checkPollAgreement(): Promise<CheckRow> {
  const connections = 10;
  const sliceMs = 500;
  const pairs = 20;
  return withServer({ transport: 'short-polling', payloadBytes: 64 }, async (server) => {
    const target = { host: server.host, port: server.port };
    const room = `selfcheck-${process.pid}`;
    const seed = await fetch(`http://${target.host}:${target.port}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room, payload: 'seed' }) });
    if (!seed.ok) throw new Error(`seeding the poll room failed with HTTP ${seed.status}`);
    const route = routeRequest('poll', room, 64);
    await driveHttp(target, route, connections, 1_000);
    await runAutocannon(target, route, connections, 1_000);
    const spinning = await busyPolled(() => pairedRates(target, route, connections, pairs, sliceMs));
    const sleeping = await pairedRates(target, route, connections, pairs, sliceMs);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
    const totals = (r: PairedRates) => `totals ${fmt(r.own.requests / r.own.seconds)} vs ${fmt(r.cannon.requests / r.cannon.seconds)} req/s`;
    const errors = spinning.own.errors + spinning.cannon.errors + sleeping.own.errors + sleeping.cannon.errors;
    return {
      check: '(c) short polling GET /poll: harness vs autocannon (--busy-poll)',
      figure: `${pct(spinning.difference)} (median of ${pairs} pairs)`,
      bare: '-',
      bound: `within ${BOUNDS.pollAgreement * 100} %`,
      pass: Math.abs(spinning.difference) <= BOUNDS.pollAgreement && errors === 0,
      detail:
        `${connections} connections, ${pairs} alternating pairs of ${sliceMs} ms slices each way. Busy-polling: pair ratios ${pct(spinning.lowest)} … ${pct(spinning.highest)}, ${totals(spinning)}. ` +
        `Load process sleeping when idle (the default): median ${pct(sleeping.difference)}, pair ratios ${pct(sleeping.lowest)} … ${pct(sleeping.highest)}, ${totals(sleeping)}. ` +
        `Errors: harness ${spinning.own.errors + sleeping.own.errors}, autocannon ${spinning.cannon.errors + sleeping.cannon.errors}`,
    };
  });
}

