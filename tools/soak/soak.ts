import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isInputError, readArgs } from '../../bin/cli-support.ts';
import { buildServer } from '../../servers/build-server.ts';
import { TRANSPORTS, isTransportName, type TransportName } from '../../protocol/transports.ts';
import { abortLongPolls, connectCycles, type ChurnResult } from './churn.ts';
import { HandleCounter, exposedGc, heapAfterGc, type HandleCounts } from './leak-probe.ts';

/**
 * Soak: does a server leave anything behind? For each transport, a server in this process takes
 * `--aborted-polls` long polls abandoned while held (long polling only) and `--cycles` client connects and
 * disconnects, on loopback. Afterwards it must hold no waiter, feed subscription, timer or socket more than
 * before, and its heap after a forced GC must be within 10 % of the starting value (taken after a warm-up of
 * 2 % of the load). Prints a table, exits 0 when every transport passes, 1 otherwise.
 *
 *   npx tsx tools/soak/soak.ts [--aborted-polls 100000] [--cycles 10000] [--transports ws,tcp] [--time-limit-s 1800]
 *
 * It needs node's --expose-gc and runs itself again with it when started without.
 */

const HEAP_TOLERANCE = 0.1;
const WARM_UP_SHARE = 0.02;
/** How long leftovers get to go away after the load (closing handshakes, client close grace), ms. */
const SETTLE_MS = 15_000;
const ROOM = 'soak';

interface Row {
  transport: TransportName;
  polls: ChurnResult | undefined;
  cycles: ChurnResult;
  seconds: number;
  before: Snapshot;
  after: Snapshot;
  problems: string[];
}

interface Snapshot extends HandleCounts {
  waiters: number;
  connections: number;
  subscribers: number;
  heapBytes: number;
}

async function snapshot(counter: HandleCounter, server: ReturnType<typeof buildServer>): Promise<Snapshot> {
  const heapBytes = await heapAfterGc();
  const stats = server.stats();
  return { ...counter.counts(), waiters: stats.waiters, connections: stats.connections, subscribers: server.feed.subscriberCount, heapBytes };
}

async function soakOne(transport: TransportName, polls: number, cycles: number, counter: HandleCounter, deadline: number): Promise<Row> {
  const server = buildServer({ transport });
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  // One message in the room: a polling client's first poll (its connect) asks from cursor 0 and is answered at
  // once. Push clients connect at the head: a backlog would be one emitted packet per connect, which Socket.IO's
  // recovery keeps for 120 s by design (docs/reliability.md), and this run looks for what is kept for ever.
  server.feed.publish(ROOM, 'soak');
  const cycleTarget = { port, room: ROOM, cursor: transport === 'short-polling' || transport === 'long-polling' ? 0 : 1 };
  const waiters = () => server.stats().waiters;
  const pollTarget = { port, room: ROOM, cursor: 1 };
  const withPolls = transport === 'long-polling' && polls > 0;
  try {
    // Warm-up: code paths compiled and caches filled before the starting value is taken.
    if (withPolls) await abortLongPolls(pollTarget, Math.ceil(polls * WARM_UP_SHARE), waiters, deadline);
    await connectCycles(transport, cycleTarget, Math.ceil(cycles * WARM_UP_SHARE), deadline);
    await settle(counter, server, undefined, Date.now() + SETTLE_MS);
    const before = await snapshot(counter, server);

    const started = Date.now();
    const pollResult = withPolls ? await abortLongPolls(pollTarget, polls, waiters, deadline) : undefined;
    const cycleResult = await connectCycles(transport, cycleTarget, cycles, deadline);
    const seconds = (Date.now() - started) / 1000;
    await settle(counter, server, before, Date.now() + SETTLE_MS);
    const after = await snapshot(counter, server);
    return { transport, polls: pollResult, cycles: cycleResult, seconds, before, after, problems: judge(before, after, pollResult, polls, cycleResult, cycles) };
  } finally {
    await server.close();
  }
}

/**
 * Waits until the server holds no client and the handle counts are back to `before`, or, with no `before` (the
 * starting value), have not moved for 2.5 s (the bundled clients leave a 2 s close-grace timer behind each
 * close); or until time is up.
 */
async function settle(counter: HandleCounter, server: ReturnType<typeof buildServer>, before: Snapshot | undefined, deadline: number): Promise<void> {
  let last = '';
  let still = 0;
  while (Date.now() < deadline) {
    const { waiters, connections } = server.stats();
    const now = counter.counts();
    const key = `${now.timers}/${now.sockets}`;
    still = key === last ? still + 1 : 0;
    last = key;
    const done = before ? now.timers <= before.timers && now.sockets <= before.sockets : still >= 25;
    if (waiters === 0 && connections === 0 && done) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function judge(before: Snapshot, after: Snapshot, polls: ChurnResult | undefined, pollsAsked: number, cycles: ChurnResult, cyclesAsked: number): string[] {
  const problems: string[] = [];
  if (polls && polls.done < pollsAsked) problems.push(`only ${polls.done} of ${pollsAsked} aborted polls before the time limit`);
  if (cycles.done < cyclesAsked) problems.push(`only ${cycles.done} of ${cyclesAsked} cycles before the time limit`);
  if (cycles.errors > 0) problems.push(`${cycles.errors} connects failed (first: ${cycles.firstError})`);
  if (polls && polls.errors > 0) problems.push(`${polls.errors} aborted polls failed to connect (first: ${polls.firstError})`);
  if (after.waiters > 0) problems.push(`${after.waiters} long polls still held`);
  if (after.connections > 0) problems.push(`${after.connections} connections still open on the server`);
  if (after.subscribers > before.subscribers) problems.push(`${after.subscribers - before.subscribers} feed subscriptions left behind`);
  if (after.timers > before.timers) problems.push(`${after.timers - before.timers} timers left behind`);
  if (after.sockets > before.sockets) problems.push(`${after.sockets - before.sockets} sockets left behind`);
  const growth = after.heapBytes / before.heapBytes - 1;
  if (growth > HEAP_TOLERANCE) problems.push(`heap grew ${(growth * 100).toFixed(1)} % (more than ${HEAP_TOLERANCE * 100} %)`);
  return problems;
}

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** The result table, as text. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['transport', 'aborted polls', 'cycles', 'time s', 'waiters', 'subscriptions', 'connections', 'timers', 'sockets', 'heap MB', 'heap Δ', 'result'];
  const body = rows.map((r) => [
    r.transport,
    r.polls ? String(r.polls.done) : '-',
    String(r.cycles.done),
    r.seconds.toFixed(1),
    String(r.after.waiters),
    `${r.before.subscribers} → ${r.after.subscribers}`,
    String(r.after.connections),
    `${r.before.timers} → ${r.after.timers}`,
    `${r.before.sockets} → ${r.after.sockets}`,
    `${mb(r.before.heapBytes)} → ${mb(r.after.heapBytes)}`,
    `${((r.after.heapBytes / r.before.heapBytes - 1) * 100).toFixed(1)} %`,
    r.problems.length === 0 ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const lines = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  for (const r of rows) for (const problem of r.problems) lines.push(`${r.transport}: ${problem}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values: given } = readArgs('soak', process.argv.slice(2), {
    'aborted-polls': { type: 'string' },
    cycles: { type: 'string' },
    transports: { type: 'string' },
    'time-limit-s': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const values = { 'aborted-polls': '100000', cycles: '10000', transports: TRANSPORTS.join(','), 'time-limit-s': '1800', ...given };
  if (values.help) {
    console.log('npx tsx tools/soak/soak.ts [--aborted-polls N (100000)] [--cycles N per transport (10000)] [--transports list] [--time-limit-s S (1800)]');
    return 0;
  }
  const polls = Number(values['aborted-polls']);
  const cycles = Number(values.cycles);
  const timeLimitS = Number(values['time-limit-s']);
  const transports = values.transports.split(',').filter(Boolean);
  const bad = transports.filter((t) => !isTransportName(t));
  if (![polls, cycles, timeLimitS].every((n) => Number.isInteger(n) && n >= 0) || bad.length > 0) {
    console.error(`soak: --aborted-polls, --cycles and --time-limit-s take non-negative integers; --transports takes ${TRANSPORTS.join(', ')}${bad.length ? ` (not ${bad.join(', ')})` : ''}`);
    return 2;
  }
  const counter = new HandleCounter().start();
  const deadline = Date.now() + timeLimitS * 1000;
  const rows: Row[] = [];
  for (const transport of transports as TransportName[]) {
    rows.push(await soakOne(transport, polls, cycles, counter, deadline));
    console.error(`soak: ${transport} done (${rows.at(-1)!.seconds.toFixed(1)} s)`);
  }
  counter.stop();
  console.log(`Soak: ${polls} aborted long polls, ${cycles} connect/disconnect cycles per transport, loopback, Node ${process.version}\n`);
  console.log(formatTable(rows));
  return rows.every((r) => r.problems.length === 0) ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!exposedGc()) {
    // The heap check needs a forced GC: run again under node --expose-gc, with tsx as the loader.
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`soak: ${isInputError(error) ? error.message : (error.stack ?? error.message)}`);
      process.exit(isInputError(error) ? 2 : 1);
    },
  );
}
