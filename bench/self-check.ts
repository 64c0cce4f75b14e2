import { nowUs } from '../servers/clock.ts';
import { startResourceWindow, type ResourceWindow } from '../servers/resource-sampler.ts';
import { percentiles } from './histogram.ts';
import type { RepeatContext, RepeatMeasurement, ServerStartOptions, StepPlan } from './scenario.ts';
import { measureFanOut } from './scenarios/fan-out.ts';
import { httpOverhead } from './scenarios/http-overhead.ts';
import { hasTaskset, pinCurrentProcess, ServerProcess } from './server-process.ts';

/**
 * Does the harness measure the transports, or itself? Three checks against a server in its own process
 * (pinned to CPU 0, this load process to CPU 1 when taskset allows), printed as a table; exit 0 when all
 * pass, 1 otherwise. Run on demand: `npx tsx bench/self-check.ts`. No test runs it (it needs a quiet box).
 *
 * (a) raw TCP, 1 client, 1,000 messages/s, 64 B: one-way latency p50 (actual send → receive) ≤ 100 µs;
 * (b) ws, 100 clients in one room: the deliveries per second the harness sustains ≥ 200,000;
 * (c) short polling, GET /poll: the harness's requests/s within 10 % of autocannon's in the same run.
 */

const SERVER_CPU = 0;
const LOAD_CPU = 1;

export const BOUNDS = {
  tcpLatencyP50Us: 100,
  wsCeilingPerSec: 200_000,
  pollAgreement: 0.1,
};

interface CheckRow {
  check: string;
  figure: string;
  bound: string;
  pass: boolean;
  detail: string;
}

function context(step: StepPlan, server: ServerProcess, warmupMs: number, durationMs: number): RepeatContext {
  let window: ResourceWindow | undefined;
  return {
    step,
    server,
    warmupMs,
    durationMs,
    signal: new AbortController().signal,
    progress: () => {},
    generator: { start: () => void (window = startResourceWindow()), end: () => (window ?? startResourceWindow()).end() },
  };
}

async function withServer<T>(options: ServerStartOptions, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await ServerProcess.start(options, { cpu: SERVER_CPU });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const pushStep = (transport: 'tcp' | 'ws', rate: number, clients: number): StepPlan => ({
  id: `self-check/push/${transport}/rate=${rate}/clients=${clients}`,
  scenario: 'push',
  transport,
  params: { rate, clients, payloadBytes: 64, rooms: 1 },
  server: { transport, payloadBytes: 64 },
});

async function checkTcpLatency(): Promise<CheckRow> {
  const step = pushStep('tcp', 1_000, 1);
  const m = await withServer(step.server, (server) => measureFanOut(context(step, server, 1_000, 3_000), { clients: 1, rate: 1_000, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck' }));
  const actual = percentiles(m.histograms.latencyUncorrected!);
  const intended = percentiles(m.histograms.latency!);
  return {
    check: '(a) raw TCP latency p50, 1 client, 1,000 msg/s',
    figure: `${actual.p50} µs`,
    bound: `≤ ${BOUNDS.tcpLatencyP50Us} µs`,
    pass: actual.p50 <= BOUNDS.tcpLatencyP50Us && (m.delivery?.lost ?? 1) === 0,
    detail: `actual send → receive p50 ${actual.p50} / p99 ${actual.p99} µs; from intended time p50 ${intended.p50} / p99 ${intended.p99} µs; ${m.delivery?.delivered} delivered, ${m.delivery?.lost} lost`,
  };
}

async function checkWsCeiling(): Promise<CheckRow> {
  const clients = 100;
  let best = 0;
  const tried: string[] = [];
  for (const rate of [2_000, 2_500, 3_000]) {
    const step = pushStep('ws', rate, clients);
    let first = Infinity;
    let last = 0;
    let count = 0;
    const onDelivery = (receivedAt: number) => {
      if (receivedAt < first) first = receivedAt;
      if (receivedAt > last) last = receivedAt;
      count++;
    };
    const m: RepeatMeasurement = await withServer(step.server, (server) =>
      measureFanOut(context(step, server, 500, 2_000), { clients, rate, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck', onDelivery }),
    );
    // Deliveries over the time from the first to the last one: if the harness falls behind, the tail stretches.
    const sustained = count > 1 ? (count - 1) / ((last - first) / 1e6) : 0;
    best = Math.max(best, sustained);
    tried.push(`${rate}×${clients} offered → ${Math.round(sustained).toLocaleString('en-US')}/s (lost ${m.delivery?.lost}, load CPU ${m.generator?.cpuPercent.toFixed(0)} %, server CPU ${m.server?.cpuPercent.toFixed(0)} %)`);
    if (sustained < rate * clients * 0.9) break; // past the ceiling: a higher offer only measures the backlog
  }
  return {
    check: '(b) ws delivered-messages ceiling, 100 clients',
    figure: `${Math.round(best).toLocaleString('en-US')}/s`,
    bound: `≥ ${BOUNDS.wsCeilingPerSec.toLocaleString('en-US')}/s`,
    pass: best >= BOUNDS.wsCeilingPerSec,
    detail: tried.join('; '),
  };
}

async function checkPollAgreement(): Promise<CheckRow> {
  const step: StepPlan = {
    id: 'self-check/http-overhead/short-polling/route=poll/connections=10',
    scenario: 'http-overhead',
    transport: 'short-polling',
    params: { route: 'poll', connections: 10, payloadBytes: 64 },
    server: { transport: 'short-polling' },
  };
  const m = await withServer(step.server, (server) => httpOverhead.runRepeat(context(step, server, 1_000, 3_000)));
  const own = m.values.requestsPerSec ?? 0;
  const cannon = m.extra?.autocannon?.requestsPerSec.median ?? 0;
  const difference = cannon > 0 ? (own - cannon) / cannon : Infinity;
  return {
    check: '(c) short polling GET /poll: harness vs autocannon',
    figure: `${Math.round(own).toLocaleString('en-US')} vs ${Math.round(cannon).toLocaleString('en-US')} req/s (${(difference * 100).toFixed(1)} %)`,
    bound: `within ${BOUNDS.pollAgreement * 100} %`,
    pass: Math.abs(difference) <= BOUNDS.pollAgreement,
    detail: `10 connections, 3 s each, same server; autocannon p50/p99 ${m.extra?.autocannon?.latencyP50Ms.median}/${m.extra?.autocannon?.latencyP99Ms.median} ms, ${m.extra?.autocannon?.errors} errors`,
  };
}

/** The table, as text. */
export function formatChecks(rows: readonly CheckRow[], pinning: string): string {
  const header = ['check', 'figure', 'bound', 'result'];
  const cells = rows.map((r) => [r.check, r.figure, r.bound, r.pass ? 'pass' : 'FAIL']);
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
  for (const check of [checkTcpLatency, checkWsCeiling, checkPollAgreement]) {
    const started = nowUs();
    try {
      rows.push(await check());
    } catch (error) {
      rows.push({ check: check.name, figure: '-', bound: '-', pass: false, detail: `failed: ${error instanceof Error ? error.message : String(error)}` });
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
      process.stderr.write(`self-check failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
