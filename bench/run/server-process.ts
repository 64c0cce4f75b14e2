import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { nowUs } from '../../protocol/clock.ts';
import type { ServerStats } from '../../protocol/server-ipc.ts';
import type { ServerMessage, ServerRequest } from '../../protocol/server-ipc.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import type { ResourceSample, ScheduleReport, ScheduleRequest } from '../../protocol/server-ipc.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import type { CrashReport, ServerControl } from '../scenarios/scenario.ts';
import { hasTaskset, pinProcess, spawnServerChild, waitForMessage } from './server-spawn.ts';

export { hasTaskset, liveServerPids, pinCurrentProcess, pinProcess } from './server-spawn.ts';

/**
 * A transport's server in a child process (servers/process-entry.ts), seen from the harness: spawn, wait
 * for the ready message, IPC requests with ids, a crash (SIGKILL, then a fresh process on the same port),
 * and a stop that always leaves no process behind.
 */

export interface ServerProcessOptions {
  /** Pin the child to this CPU with taskset once it is ready (ignored when taskset is missing). */
  cpu?: number;
  /** How long to wait for the ready message, ms. */
  readyTimeoutMs?: number;
  /** Aborting kills a child still starting. */
  signal?: AbortSignal;
  /** The address it listens on, which clients dial (default 127.0.0.1). */
  host?: string;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class ServerProcess implements ServerControl {
  readonly host: string;
  /** Resolves when the server has exited other than by crash(), however (never rejects). */
  readonly exited: Promise<Exit>;
  #resolveExited: (exit: Exit) => void = () => {};
  #exit: Exit | undefined;
  #stopping = false;
  #child: ChildProcess;
  /** Children killed on purpose by crash(): their exit is not the server's. */
  readonly #retired = new WeakSet<ChildProcess>();
  /** The loaded replacement a crash() will make listen. */
  #standby: Promise<ChildProcess> | undefined;
  #crashing = false;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; type: string }>();
  #stderr = '';

  private constructor(
    readonly options: ServerStartOptions & { host?: string },
    child: ChildProcess,
    readonly startedAt: number,
    readonly readyTimeoutMs: number,
  ) {
    this.host = options.host ?? '127.0.0.1';
    this.#child = child;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    this.#listen(child);
    this.#watchExit(child);
  }

  port = 0;
  /** Spawn to ready, ms (node + tsx start-up, module loading, listen). */
  startupMs = 0;
  /** The CPU the child is pinned to, when it is. */
  cpu: number | undefined;
  #wantedCpu: number | undefined;

  get transport() {
    return this.options.transport;
  }

  /** The current child (a crash() replaces it). */
  get child(): ChildProcess {
    return this.#child;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines the child wrote to stderr (for error messages). */
  get stderrTail(): string {
    return this.#stderr.trim().split('\n').slice(-5).join('\n');
  }

  /** Keeps the tail of a child's stderr and takes its replies (request ids are unique across children). */
  #listen(child: ChildProcess): void {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4_000);
    });
    child.on('message', (raw: unknown) => this.#onMessage(raw as ServerMessage));
  }

  /** The current child's exit is the server's exit, unless crash() retired it. */
  #watchExit(child: ChildProcess): void {
    // 'close' rather than 'exit': by then stderr is drained, so a crash's message is in the tail.
    child.once('close', (code, signal) => {
      if (this.#retired.has(child) || this.#exit) return;
      this.#exit = { code, signal };
      this.#rejectPending(this.exitError());
      this.#standby?.then((s) => s.kill('SIGKILL'), () => {});
      this.#resolveExited({ code, signal });
    });
  }

  #rejectPending(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /** Spawns the server child and resolves once it is listening. */
  static async start(options: ServerStartOptions, processOptions: ServerProcessOptions = {}): Promise<ServerProcess> {
    const { cpu, readyTimeoutMs = 30_000, signal, host } = processOptions;
    const startedAt = performance.now();
    // The host travels with the options: a crash()'s replacement listens where the first did.
    const spawned = host ? { ...options, host } : options;
    // Started unpinned, so several starts can use both cores; pinned once ready, before any measuring.
    const child = spawnServerChild(spawned);
    const server = new ServerProcess(spawned, child, startedAt, readyTimeoutMs);
    server.#wantedCpu = cpu;
    try {
      const ready = await waitForMessage(child, 'ready', {
        timeoutMs: readyTimeoutMs,
        signal,
        fail: (why) =>
          why === 'aborted'
            ? new ToolError(TOOL_ERRORS.INTERRUPTED, `starting the ${options.transport} server was interrupted`)
            : why === 'timeout'
              ? new ToolError(TOOL_ERRORS.SERVER_NOT_READY, `the ${options.transport} server process was not ready after ${readyTimeoutMs} ms${server.#tail()}`)
              : new ToolError(TOOL_ERRORS.SERVER_NOT_READY, `the ${options.transport} server process ${server.#describeExit(child)} before it was ready${server.#tail()}`),
      });
      server.port = ready.port;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    server.startupMs = performance.now() - startedAt;
    server.#pin();
    return server;
  }

  #pin(): void {
    if (this.#wantedCpu !== undefined && hasTaskset()) this.cpu = pinProcess(this.pid, this.#wantedCpu) ? this.#wantedCpu : undefined;
  }

  /** The error in-flight and later requests get once the child has exited. */
  exitError(): ToolError {
    if (this.#stopping) return new ToolError(TOOL_ERRORS.SERVER_EXITED, `the ${this.transport} server process was stopped`);
    return new ToolError(TOOL_ERRORS.SERVER_EXITED, `the ${this.transport} server process (pid ${this.pid}) ${this.#describeExit(this.#child)} while in use${this.#tail()}`);
  }

  #describeExit(child: ChildProcess): string {
    const exit = child === this.#child && this.#exit ? this.#exit : { code: child.exitCode, signal: child.signalCode };
    if (exit.code === null && exit.signal === null) return 'is running';
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
    else pending.reject(new ToolError(TOOL_ERRORS.SERVER_REQUEST_FAILED, `the ${this.transport} server failed '${pending.type}': ${message.error.message}`));
  }

  /** Sends one request and resolves with the child's answer; rejects with SERVER_EXITED if the child dies first. */
  request<T>(type: ServerRequest['type'], fields: Record<string, unknown> = {}): Promise<T> {
    if (this.#crashing) return Promise.reject(new ToolError(TOOL_ERRORS.SERVER_REQUEST_FAILED, `the ${this.transport} server is being crashed and restarted; '${type}' was not sent`));
    const child = this.#child;
    if (!this.alive || !child.connected) return Promise.reject(this.exitError());
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, type });
      child.send({ id, type, ...fields }, (error) => {
        if (!error || !this.#pending.has(id)) return;
        this.#pending.delete(id);
        reject(this.alive ? new ToolError(TOOL_ERRORS.SERVER_REQUEST_FAILED, `cannot reach the ${this.transport} server: ${error.message}`) : this.exitError());
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

  /** A replacement child, loaded (modules imported, server built) and waiting to be told to listen on this port. */
  prepareCrash(): Promise<void> {
    return this.#loadStandby().then(() => undefined);
  }

  #loadStandby(): Promise<ChildProcess> {
    if (!this.alive) return Promise.reject(this.exitError());
    if (this.#standby) return this.#standby;
    const child = spawnServerChild({ ...this.options, port: this.port, standby: true });
    this.#listen(child);
    const loading = waitForMessage(child, 'standby', {
      timeoutMs: this.readyTimeoutMs,
      fail: (why) => new ToolError(TOOL_ERRORS.SERVER_NOT_READY, `the replacement ${this.transport} server process ${why === 'exited' ? 'exited' : 'was not loaded in time'}${this.#tail()}`),
    }).then(
      () => child,
      (error: unknown) => {
        child.kill('SIGKILL');
        if (this.#standby === loading) this.#standby = undefined;
        throw error;
      },
    );
    this.#standby = loading;
    return loading;
  }

  /**
   * SIGKILL, then the loaded replacement listens on the same port after `downtimeMs` (counted from the kill).
   * The replacement's start-up is not part of the outage: it was loaded beforehand (prepareCrash), as a
   * supervisor with a warm standby would have it, so the outage is what the profile asks for.
   */
  async crash(options: { downtimeMs?: number } = {}): Promise<CrashReport> {
    if (!this.alive) throw this.exitError();
    const standby = await this.#loadStandby();
    const old = this.#child;
    this.#crashing = true;
    this.#retired.add(old);
    try {
      const gone = new Promise<void>((resolve) => {
        if (old.exitCode !== null || old.signalCode !== null) resolve();
        else old.once('exit', () => resolve());
      });
      const killedAt = nowUs();
      old.kill('SIGKILL');
      await gone;
      this.#rejectPending(new ToolError(TOOL_ERRORS.SERVER_EXITED, `the ${this.transport} server process was killed by crash() while this request was in flight`));
      const waitMs = (options.downtimeMs ?? 0) - (nowUs() - killedAt) / 1000;
      if (waitMs > 0) await delay(waitMs);
      const ready = waitForMessage(standby, 'ready', {
        timeoutMs: this.readyTimeoutMs,
        fail: (why) => new ToolError(TOOL_ERRORS.SERVER_NOT_READY, `the replacement ${this.transport} server process ${why === 'exited' ? 'exited' : 'did not listen in time'} after crash()${this.#tail()}`),
      });
      standby.send({ id: 0, type: 'listen' });
      const { port } = await ready;
      const listeningAt = nowUs();
      if (port !== this.port) throw new ToolError(TOOL_ERRORS.SERVER_NOT_READY, `the replacement ${this.transport} server listened on port ${port}, not ${this.port}`);
      this.#child = standby;
      this.#standby = undefined;
      this.#watchExit(standby);
      this.#pin();
      return { killedAt, listeningAt };
    } catch (error) {
      // No server left to serve the step: the pool must start a fresh one.
      this.#exit ??= { code: null, signal: 'SIGKILL' };
      standby.kill('SIGKILL');
      this.#resolveExited(this.#exit);
      throw error;
    } finally {
      this.#crashing = false;
    }
  }

  /**
   * SIGKILLs the process for good (a node of several killed mid-step: bench/scenarios/node-kill.ts); resolves with
   * the moment of the kill once it has exited. `exited` then resolves too: whoever asked knows it was on purpose.
   */
  async kill(): Promise<number> {
    if (!this.alive) throw this.exitError();
    this.#stopping = true;
    this.#standby?.then((s) => s.kill('SIGKILL'), () => {});
    const killedAt = nowUs();
    this.#child.kill('SIGKILL');
    await this.exited;
    return killedAt;
  }

  /** Asks the child to close, then kills it if it has not exited within `graceMs`. Never throws. */
  async stop(graceMs = 3_000): Promise<void> {
    this.#standby?.then((s) => s.kill('SIGKILL'), () => {});
    if (!this.alive) return;
    this.#stopping = true;
    this.request('stop').catch(() => {});
    const child = this.#child;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
