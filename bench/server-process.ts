import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerStats } from '../servers/transport-plugin.ts';
import type { ServerMessage, ServerRequest } from '../servers/process-entry.ts';
import { BENCH_ERRORS, BenchError } from './errors.ts';
import type { ResourceSample, ScheduleReport, ScheduleRequest, ServerControl, ServerStartOptions } from './scenario.ts';

/**
 * A transport's server in a child process (servers/process-entry.ts), seen from the harness: spawn, wait
 * for the ready message, IPC requests with ids, and a stop that always leaves no process behind.
 */

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../servers/process-entry.ts', import.meta.url));

export interface ServerProcessOptions {
  /** Pin the child to this CPU with taskset once it is ready (ignored when taskset is missing). */
  cpu?: number;
  /** How long to wait for the ready message, ms. */
  readyTimeoutMs?: number;
  /** Aborting kills a child still starting. */
  signal?: AbortSignal;
}

/** The child's command-line arguments for `options` (parsed by parseServerArgv in process-entry.ts). */
export function serverArgv(options: ServerStartOptions): string[] {
  const args = ['--transport', options.transport];
  if (options.payloadBytes !== undefined) args.push('--payload-bytes', String(options.payloadBytes));
  if (options.binary !== undefined) args.push('--binary', String(options.binary));
  if (options.logLength !== undefined) args.push('--log-length', String(options.logLength));
  if (options.socketIoTransports !== undefined) args.push('--socket-io-transports', options.socketIoTransports);
  if (options.socketIoRecovery !== undefined) args.push('--socket-io-recovery', String(options.socketIoRecovery));
  if (options.longPollTimeoutMs !== undefined) args.push('--long-poll-timeout-ms', String(options.longPollTimeoutMs));
  return args;
}

let tasksetWorks: boolean | undefined;
/** Whether `taskset` exists here and may set affinity (containers can forbid it). */
export function hasTaskset(): boolean {
  tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetWorks;
}

/** Pins every thread of process `pid` to `cpu`; false when it cannot. */
export function pinProcess(pid: number, cpu: number): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Pins every thread of this process to `cpu`; false when it cannot. */
export function pinCurrentProcess(cpu: number): boolean {
  return pinProcess(process.pid, cpu);
}

// Children still alive, killed when this process exits however it exits.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
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

export class ServerProcess implements ServerControl {
  readonly host = '127.0.0.1';
  /** Resolves when the child has exited, however (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #stopping = false;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; type: string }>();
  #stderr = '';

  private constructor(
    readonly options: ServerStartOptions,
    readonly child: ChildProcess,
    readonly startedAt: number,
  ) {
    this.exited = new Promise((resolve) => {
      // 'close' rather than 'exit': by then stderr is drained, so a crash's message is in the tail.
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        const error = this.exitError();
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
        resolve({ code, signal });
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4_000);
    });
    child.on('message', (raw: unknown) => this.#onMessage(raw as ServerMessage));
    // A dead channel is reported through 'exit'; don't let EPIPE crash the harness.
    child.on('error', () => {});
  }

  port = 0;
  /** Spawn to ready, ms (node + tsx start-up, module loading, listen). */
  startupMs = 0;
  /** The CPU the child is pinned to, when it is. */
  cpu: number | undefined;

  get transport() {
    return this.options.transport;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines the child wrote to stderr (for error messages). */
  get stderrTail(): string {
    return this.#stderr.trim().split('\n').slice(-5).join('\n');
  }

  /** Spawns the server child and resolves once it is listening. */
  static start(options: ServerStartOptions, processOptions: ServerProcessOptions = {}): Promise<ServerProcess> {
    const { cpu, readyTimeoutMs = 30_000, signal } = processOptions;
    const startedAt = performance.now();
    // Started unpinned, so several starts can use both cores; pinned once ready, before any measuring.
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...serverArgv(options)], {
      cwd: PROJECT_ROOT,
      // Its own process group, so a terminal's Ctrl-C reaches the harness only: the harness stops its children.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    track(child);
    const server = new ServerProcess(options, child, startedAt);

    return new Promise((resolve, reject) => {
      const fail = (error: BenchError): void => {
        cleanup();
        child.kill('SIGKILL');
        reject(error);
      };
      const onReady = (raw: unknown): void => {
        const message = raw as ServerMessage;
        if (message?.type !== 'ready') return;
        cleanup();
        server.port = message.port;
        server.startupMs = performance.now() - startedAt;
        if (cpu !== undefined && hasTaskset()) server.cpu = pinProcess(server.pid, cpu) ? cpu : undefined;
        resolve(server);
      };
      const onExit = (): void => {
        const why = server.#describeExit();
        fail(new BenchError(BENCH_ERRORS.SERVER_NOT_READY, `the ${options.transport} server process ${why} before it was ready${server.#tail()}`));
      };
      const onAbort = (): void => fail(new BenchError(BENCH_ERRORS.INTERRUPTED, `starting the ${options.transport} server was interrupted`));
      const timer = setTimeout(() => {
        fail(new BenchError(BENCH_ERRORS.SERVER_NOT_READY, `the ${options.transport} server process was not ready after ${readyTimeoutMs} ms${server.#tail()}`));
      }, readyTimeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onReady);
        child.off('close', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      child.on('message', onReady);
      child.once('close', onExit);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The error in-flight and later requests get once the child has exited. */
  exitError(): BenchError {
    if (this.#stopping) return new BenchError(BENCH_ERRORS.SERVER_EXITED, `the ${this.transport} server process was stopped`);
    return new BenchError(BENCH_ERRORS.SERVER_EXITED, `the ${this.transport} server process (pid ${this.pid}) ${this.#describeExit()} while in use${this.#tail()}`);
  }

  #describeExit(): string {
    const exit = this.#exit;
    if (!exit) return 'is running';
    return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  }

  #tail(): string {
    const tail = this.stderrTail;
    return tail ? `; its stderr ends: ${tail}` : '';
  }

  #onMessage(message: ServerMessage): void {
    if (message?.type !== 'reply') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new BenchError(BENCH_ERRORS.SERVER_REQUEST_FAILED, `the ${this.transport} server failed '${pending.type}': ${message.error.message}`));
  }

  /** Sends one request and resolves with the child's answer; rejects with SERVER_EXITED if the child dies first. */
  request<T>(type: ServerRequest['type'], fields: Record<string, unknown> = {}): Promise<T> {
    if (!this.alive || !this.child.connected) return Promise.reject(this.exitError());
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, type });
      this.child.send({ id, type, ...fields }, (error) => {
        if (!error || !this.#pending.has(id)) return;
        this.#pending.delete(id);
        reject(this.alive ? new BenchError(BENCH_ERRORS.SERVER_REQUEST_FAILED, `cannot reach the ${this.transport} server: ${error.message}`) : this.exitError());
      });
    });
  }

  schedule(request: ScheduleRequest): Promise<ScheduleReport> {
    return this.request('schedule', { request });
  }

  startResourceWindow(): Promise<void> {
    return this.request('startResourceWindow');
  }

  endResourceWindow(): Promise<ResourceSample> {
    return this.request('endResourceWindow');
  }

  stats(): Promise<ServerStats> {
    return this.request('stats');
  }

  dropConnections(): Promise<void> {
    return this.request('dropConnections');
  }

  /** Asks the child to close, then kills it if it has not exited within `graceMs`. Never throws. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.alive) return;
    this.#stopping = true;
    this.request('stop').catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

