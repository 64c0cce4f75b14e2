import { nowUs } from '../../protocol/clock.ts';
import { percentiles } from '../../bench/measure/histogram.ts';
import type { RepeatContext } from '../../bench/scenarios/scenario.ts';
import { isInputError, readArgs } from '../../bin/cli-support.ts';
import { measureFanOut } from '../../bench/scenarios/fan-out.ts';
import { bareTcpLatencyP50, bareWsPerCpuSecond } from './bare-clients.ts';
import { hasTaskset, pinCurrentProcess, ServerProcess } from '../../bench/run/server-process.ts';
import { BOUNDS, LOAD_CPU, SERVER_CPU, busyPolled, context, pushStep, withServer, type CheckRow } from './check-support.ts';
import { checkPollAgreement } from './poll-agreement.ts';
import { checkCorrection, checkPublisherLag } from './precision-checks.ts';
import { checkProxyOverhead } from './proxy-overhead.ts';

/**
 * Does the harness measure the transports, or itself? Six checks against a server in its own process
 * (pinned to CPU 0, this load process to CPU 1 when taskset allows), printed as a table; exit 0 when all
 * pass, 1 otherwise. Run on demand: `npx tsx tools/self-check/self-check.ts [a|b|c|d|e|f]`. No test runs it (it needs a quiet box).
 *
 * (a) raw TCP, 1 client, 1,000 messages/s, 64 B: one-way latency p50 (actual send → receive) ≤ 100 µs, with
 *     the load process busy-polling (`--busy-poll`); the figure without it is printed beside;
 * (b) ws, 100 clients in one room: deliveries per CPU-second of the load process ≥ 200,000;
 * (c) short polling, GET /poll: the harness's requests/s within 10 % of autocannon's in the same run, with
 *     the load process busy-polling; the figure without it is printed beside (and any error in either fails);
 * (d) raw TCP, 1 client, 1,000 messages/s, the default (no busy polling): corrected latency p50 (from the
 *     intended send time) at most 1.5 × the uncorrected p50 (from the actual send time): the publisher's own
 *     lateness is a small part of the headline figure;
 * (e) the open-loop publisher's lag (actual − intended send time) at 100, 1,000 and 5,000 messages/s, in the
 *     server process (push to 1 raw TCP client) and in the load process (rtt, 1 raw TCP client): p50 ≤ 20 µs
 *     and p99 ≤ 200 µs in each;
 * (f) the delay proxy of `run --rtt` (bench/network/) at 0 ms: the raw TCP latency p50 it adds, ≤ 50 µs.
 * Beside (a) and (b), the same figure from bare clients on the same server: what the box allows today.
 */

const USAGE = `Usage: npx tsx tools/self-check/self-check.ts [a|b|c|d|e|f …]

Checks that the harness measures the transports, not itself (server pinned to CPU 0, load to CPU 1):
  a  raw TCP latency p50, 1 client, 1,000 msg/s, busy-polling: at most 100 µs
  b  ws fan-out: deliveries per load CPU-second, 100 clients: at least 200,000
  c  GET /poll: the harness's requests/s within 10 % of autocannon's
  d  raw TCP, 1 client, 1,000 msg/s: corrected latency p50 at most 1.5 × uncorrected p50
  e  publisher lag at 100, 1,000, 5,000 msg/s, server and load side: p50 ≤ 20 µs, p99 ≤ 200 µs
  f  the delay proxy (--rtt) at 0 ms: raw TCP p50 added, at most 50 µs
No argument runs every check. Exit codes: 0 all pass, 1 a check failed, 2 bad usage.`;

/**
 * Measured twice on one server: with the load process busy-polling (`--busy-poll`, the figure checked) and
 * sleeping when idle (the default), whose difference is what waking this VM's idle CPU costs a message.
 */
async function checkTcpLatency(): Promise<CheckRow> {
  const step = pushStep('tcp', 1_000, 1);
  const fanOut = (server: ServerProcess) =>
    measureFanOut(context(step, server, 1_000, 3_000), { clients: 1, rate: 1_000, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck' });
  const { bare, m, idle } = await withServer(step.server, async (server) => ({
    bare: await busyPolled(() => bareTcpLatencyP50(server, 1_000, 1_000, 3_000)),
    m: await busyPolled(() => fanOut(server)),
    idle: await fanOut(server),
  }));
  const actual = percentiles(m.histograms.latencyUncorrected!);
  const intended = percentiles(m.histograms.latency!);
  const sleeping = percentiles(idle.histograms.latencyUncorrected!);
  return {
    check: '(a) raw TCP latency p50, 1 client, 1,000 msg/s (--busy-poll)',
    figure: `${actual.p50} µs`,
    bare: `${Math.round(bare)} µs`,
    bound: `≤ ${BOUNDS.tcpLatencyP50Us} µs`,
    pass: actual.p50 <= BOUNDS.tcpLatencyP50Us && (m.delivery?.lost ?? 1) === 0,
    detail:
      `busy-polling: actual send → receive p50 ${actual.p50} / p99 ${actual.p99} µs; from intended time p50 ${intended.p50} / p99 ${intended.p99} µs; ` +
      `${m.delivery?.delivered} delivered, ${m.delivery?.lost} lost. Load process sleeping when idle (the default): p50 ${sleeping.p50} / p99 ${sleeping.p99} µs`,
  };
}

/**
 * The load process's ceiling is its CPU cost per delivery: deliveries per CPU-second of this process, from
 * the start of the measured window to the last delivery (ws client parsing, sequence checks, histograms,
 * GC, all of it). That figure holds whatever else the box runs; the end-to-end rate is shown beside it and
 * is bounded by the server's single core as well.
 */
async function checkWsCeiling(): Promise<CheckRow> {
  const clients = 100;
  const rate = 2_500;
  const step = pushStep('ws', rate, clients);
  let first = Infinity;
  let last = 0;
  let count = 0;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpuAtCount = { count: 0, cpuUs: 0 };
  const onDelivery = (receivedAt: number) => {
    if (receivedAt < first) first = receivedAt;
    if (receivedAt > last) last = receivedAt;
    // Reading CPU time costs about a µs: every 1,024th delivery is plenty.
    if ((++count & 1023) === 0 && cpuStart) {
      const used = process.cpuUsage(cpuStart);
      cpuAtCount = { count, cpuUs: used.user + used.system };
    }
  };
  const [bare, m] = await withServer(step.server, async (server) => {
    const ctx = context(step, server, 500, 2_000);
    const generator = ctx.generator;
    const withCpu: RepeatContext = { ...ctx, generator: { start: () => ((cpuStart = process.cpuUsage()), generator.start()), end: () => generator.end() } };
    const baseline = await bareWsPerCpuSecond(server, clients, rate, 2_000);
    return [baseline, await measureFanOut(withCpu, { clients, rate, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck', onDelivery })] as const;
  });
  const perCpuSecond = cpuAtCount.cpuUs > 0 ? cpuAtCount.count / (cpuAtCount.cpuUs / 1e6) : 0;
  const sustained = count > 1 ? (count - 1) / ((last - first) / 1e6) : 0;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return {
    check: '(b) ws delivered-messages ceiling, 100 clients',
    figure: `${fmt(perCpuSecond)}/s`,
    bare: `${fmt(bare)}/s`,
    bound: `≥ ${fmt(BOUNDS.wsCeilingPerSec)}/s`,
    pass: perCpuSecond >= BOUNDS.wsCeilingPerSec && (m.delivery?.lost ?? 1) === 0,
    detail: `deliveries per CPU-second of the load process (${fmt(cpuAtCount.count)} deliveries in ${(cpuAtCount.cpuUs / 1e6).toFixed(2)} CPU-s); end to end ${fmt(sustained)}/s sustained for ${fmt(rate * clients)}/s offered (server CPU ${m.server?.cpuPercent.toFixed(0)} %, load CPU ${m.generator?.cpuPercent.toFixed(0)} % over the window); lost ${m.delivery?.lost}`,
  };
}

/** The table, as text. */
export function formatChecks(rows: readonly CheckRow[], pinning: string): string {
  const header = ['check', 'harness', 'bare clients', 'bound', 'result'];
  const cells = rows.map((r) => [r.check, r.figure, r.bare, r.bound, r.pass ? 'pass' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [
    `transport-bench self-check (${pinning})`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    '',
    ...rows.map((r) => `${r.check}: ${r.detail}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const pinned = hasTaskset() && pinCurrentProcess(LOAD_CPU);
  const pinning = pinned ? `server pinned to CPU ${SERVER_CPU}, load to CPU ${LOAD_CPU}` : 'no CPU pinning (taskset unavailable)';
  const rows: CheckRow[] = [];
  // `npx tsx tools/self-check/self-check.ts b` runs only check (b); no argument runs them all.
  const { values, positionals } = readArgs('self-check', process.argv.slice(2), { help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = positionals.join('');
  const checks = [checkTcpLatency, checkWsCeiling, checkPollAgreement, checkCorrection, checkPublisherLag, checkProxyOverhead].filter((_, i) => only === '' || only.includes('abcdef'[i]!));
  for (const check of checks) {
    const started = nowUs();
    try {
      rows.push(await check());
    } catch (error) {
      rows.push({ check: check.name, figure: '-', bare: '-', bound: '-', pass: false, detail: `failed: ${error instanceof Error ? error.message : String(error)}` });
    }
    process.stderr.write(`${check.name} done in ${((nowUs() - started) / 1e6).toFixed(1)} s\n`);
  }
  process.stdout.write(`${formatChecks(rows, pinning)}\n`);
  return rows.every((r) => r.pass) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (isInputError(error)) {
        process.stderr.write(`self-check: ${error.message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`self-check failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
