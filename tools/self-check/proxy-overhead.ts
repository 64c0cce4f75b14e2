import { percentiles } from '../../bench/measure/histogram.ts';
import { NetworkPaths } from '../../bench/network/network-path.ts';
import { measureFanOut } from '../../bench/scenarios/fan-out.ts';
import type { ServerControl } from '../../bench/scenarios/scenario.ts';
import { BOUNDS, context, pushStep, withServer, type CheckRow } from './check-support.ts';

/**
 * Check (f): what the delay proxy (bench/network/) costs a message when it adds nothing: raw TCP push, 1 client,
 * 1,000 messages/s, latency p50 from the actual send time, straight to the server and through the proxy at
 * 0 ms, alternating in PAIRS pairs on one server; the figure is the median of the pairs' differences. The
 * proxy runs in its own process, as in a run, and its CPU over the last proxied window is shown beside.
 */
const PAIRS = 5;

export async function checkProxyOverhead(): Promise<CheckRow> {
  const step = pushStep('tcp', 1_000, 1);
  const paths = new NetworkPaths();
  const differences: number[] = [];
  const figures: string[] = [];
  let proxyCpu: number | undefined;
  try {
    await withServer(step.server, async (server) => {
      const proxied = await paths.route(server, { rttMs: 0, jitterMs: 0, bytesPerMs: Infinity });
      const p50 = async (target: ServerControl) => {
        const m = await measureFanOut(context(step, target, 500, 2_000), { clients: 1, rate: 1_000, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck' });
        if ((m.delivery?.lost ?? 1) !== 0) throw new Error(`${m.delivery?.lost} messages lost`);
        return percentiles(m.histograms.latencyUncorrected!).p50;
      };
      for (let i = 0; i < PAIRS; i++) {
        const direct = await p50(server);
        const before = { cpuUs: await paths.cpuUs(), at: performance.now() };
        const through = await p50(proxied);
        proxyCpu = ((await paths.cpuUs()) - before.cpuUs) / 10 / (performance.now() - before.at);
        differences.push(through - direct);
        figures.push(`${direct} → ${through} µs`);
      }
    });
  } finally {
    await paths.stop();
  }
  differences.sort((a, b) => a - b);
  const median = differences[differences.length >> 1]!;
  return {
    check: '(f) delay proxy at 0 ms: raw TCP p50 added, 1 client, 1,000 msg/s',
    figure: `+${median} µs`,
    bare: '-',
    bound: `≤ ${BOUNDS.proxyOverheadP50Us} µs`,
    pass: median <= BOUNDS.proxyOverheadP50Us,
    detail: `actual send → receive p50, direct → through the proxy, ${PAIRS} alternating pairs of 2 s windows: ${figures.join(', ')}; the proxy process's CPU in the last proxied window ${proxyCpu?.toFixed(1)} % of a core`,
  };
}
