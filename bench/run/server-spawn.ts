import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerMessage } from '../../protocol/server-ipc.ts';
import type { ServerProcessOptions } from '../../protocol/server-options.ts';
import { serverArgument } from '../../servers/process-entry.ts';

/**
 * Spawning server children (servers/process-entry.ts): their argv, CPU pinning, a registry that kills every
 * child still alive when the harness exits, and a wait for one IPC message. bench/run/server-process.ts uses it.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../servers/process-entry.ts', import.meta.url));

let tasksetWorks: boolean | undefined;
/** Whether `taskset` exists here and may set affinity (containers can forbid it). */
export function hasTaskset(): boolean {
  tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetWorks;
}

/**
 * Pins the main (JavaScript) thread of process `pid` to `cpu`; false when it cannot. Only the main thread:
 * V8's and libuv's helper threads (GC, compilation, the thread pool) stay free to run on either CPU. Pinned
 * to the same CPU they preempted the main thread for several ms at a time, which showed as 2–15 ms of
 * publisher lag at p99 (docs/method.md, "Pinning").
 */
export function pinProcess(pid: number, cpu: number): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-cp', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Pins this process's main thread to `cpu` (pinProcess); false when it cannot. */
export function pinCurrentProcess(cpu: number): boolean {
  return pinProcess(process.pid, cpu);
}

// Children still alive, killed when this process exits however it exits.
const live = new Set<ChildProcess>();
// Children whose stdio has closed after exit ('close'): a late waiter must not wait for it again.
const closed = new WeakSet<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('close', () => closed.add(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** Pids of server children this process started that are still running. */
export function liveServerPids(): number[] {
  return [...live].map((c) => c.pid!).filter((pid) => pid !== undefined);
}

/** Spawns `node --import tsx servers/process-entry.ts <options as JSON>` with an IPC channel and stderr piped; tracked. */
export function spawnServerChild(options: ServerProcessOptions): ChildProcess {
  // A child inherits the runner's affinity (the load CPU once pinned); start it on every CPU so two starting
  // servers don't share one core (taskset execs node: same pid). It is pinned to the server CPU once ready.
  return spawnNodeChild(ENTRY, [serverArgument(options)], { anyCpu: true });
}

/**
 * Spawns `node --import tsx <entry> <args>` in the project with an IPC channel and stderr piped, in its own
 * process group; tracked (killed when this process exits). anyCpu: on every CPU, not this process's affinity.
 */
export function spawnNodeChild(entry: string, args: readonly string[], options: { anyCpu: boolean }): ChildProcess {
  const command = [process.execPath, '--import', 'tsx', entry, ...args];
  // os.cpus(), not availableParallelism(): the latter reads this process's own, pinned, affinity.
  const [file, ...argv] = options.anyCpu && hasTaskset() ? ['taskset', '-c', `0-${os.cpus().length - 1}`, ...command] : command;
  const child = spawn(file!, argv, {
    cwd: PROJECT_ROOT,
    // Its own process group, so a terminal's Ctrl-C reaches the harness only: the harness stops its children.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  track(child);
  // A dead channel is reported through 'exit'; don't let EPIPE crash the harness.
  child.on('error', () => {});
  return child;
}

/**
 * Resolves with the first IPC message of `type` from `child`; rejects with `fail(why)` when the child exits
 * first (seen at 'close', so its stderr is drained for the message), `timeoutMs` passes or `signal` aborts.
 */
export function waitForMessage<T extends ServerMessage['type'] | 'standby'>(
  child: ChildProcess,
  type: T,
  options: { timeoutMs: number; signal?: AbortSignal; fail: (why: 'exited' | 'timeout' | 'aborted') => Error },
): Promise<Extract<ServerMessage | { type: 'standby'; pid: number }, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('close', onExit);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (raw: unknown): void => {
      if ((raw as { type?: unknown })?.type !== type) return;
      cleanup();
      resolve(raw as Extract<ServerMessage | { type: 'standby'; pid: number }, { type: T }>);
    };
    const onExit = (): void => {
      cleanup();
      reject(options.fail('exited'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(options.fail('aborted'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(options.fail('timeout'));
    }, options.timeoutMs);
    child.on('message', onMessage);
    child.once('close', onExit);
    if (closed.has(child)) return onExit();
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
