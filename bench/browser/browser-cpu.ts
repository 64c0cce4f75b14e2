import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU of the browser the clients run in (run --client-runtime browser), read from /proc: every thread of every
 * Chromium process this load process started (its descendants whose name begins with "chrom"), in ns from each
 * thread's schedstat, which counts every ns on a CPU, not 10 ms ticks. A page's JavaScript runs on one thread
 * (CrRendererMain), so when the busiest thread nears a whole core, receipts wait on the browser itself: the load
 * generator, not the transport, is then the bottleneck, and the step says so.
 */

/** CPU ns per Chromium thread at one moment, keyed pid/tid, with the thread's name. */
export interface BrowserCpuSnapshot {
  at: number;
  threads: Map<string, { ns: number; name: string }>;
}

/** The browser's CPU over a window, percent of one core. */
export interface BrowserCpuSample {
  /** All its processes and threads together (above 100 when it used more than one core). */
  totalPercent: number;
  /** Its busiest thread, and that thread's name. */
  busiestThreadPercent: number;
  busiestThread: string;
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process or thread ended in between
  }
};

/** pid → parent pid and name, for every process. */
function processTable(): Map<number, { ppid: number; name: string }> {
  const table = new Map<number, { ppid: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    // "pid (name) state ppid …": the name may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    table.set(Number(entry), { name: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
  }
  return table;
}

/** The Chromium processes below `root` (this process by default). */
export function browserProcesses(root = process.pid): number[] {
  const table = processTable();
  const below = (pid: number): boolean => {
    for (let p = table.get(pid)?.ppid ?? 0, hops = 0; p > 1 && hops < 64; p = table.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
    return false;
  };
  return [...table].filter(([pid, info]) => info.name.startsWith('chrom') && below(pid)).map(([pid]) => pid);
}

export function snapshotBrowserCpu(pids: readonly number[] = browserProcesses()): BrowserCpuSnapshot {
  const threads = new Map<string, { ns: number; name: string }>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const schedstat = readText(`/proc/${pid}/task/${tid}/schedstat`);
      if (!schedstat) continue;
      threads.set(`${pid}/${tid}`, { ns: Number(schedstat.split(' ')[0]), name: (readText(`/proc/${pid}/task/${tid}/comm`) ?? '?').trim() });
    }
  }
  return { at: performance.now(), threads };
}

/** What the browser used between two snapshots; a thread born in between counts from zero. */
export function browserCpuBetween(before: BrowserCpuSnapshot, after: BrowserCpuSnapshot): BrowserCpuSample {
  const wallNs = Math.max(1, after.at - before.at) * 1e6;
  let total = 0;
  let busiest = { ns: 0, name: 'none' };
  for (const [key, thread] of after.threads) {
    const used = Math.max(0, thread.ns - (before.threads.get(key)?.ns ?? 0));
    total += used;
    if (used > busiest.ns) busiest = { ns: used, name: thread.name };
  }
  return { totalPercent: (total / wallNs) * 100, busiestThreadPercent: (busiest.ns / wallNs) * 100, busiestThread: busiest.name };
}
