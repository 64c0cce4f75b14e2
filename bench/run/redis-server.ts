import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { nowUs } from '../../protocol/clock.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import { probeRedis } from '../../servers/redis-feed.ts';
import type { FeedControl } from '../scenarios/scenario.ts';

/**
 * A private redis-server for `run --feed redis` and the Redis test suites: Debian's package, on a Unix socket
 * in a temporary folder (no port to collide with), nothing saved to disk, stopped with the run. Restarting it
 * (the Redis-restart fault) brings it back empty on the same socket.
 */

export const INSTALL_REDIS = 'apt-get update -qq && apt-get install -y --no-install-recommends redis-server';
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';
/** How long a started redis-server may take to answer PING, ms. */
const READY_TIMEOUT_MS = 5_000;

/** Whether redis-server can be run here; the reason when not. */
export function redisServerMissing(): string | undefined {
  const result = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) return `Debian's redis-server is not installed (${REDIS_SERVER} could not be run); install it with \`${INSTALL_REDIS}\``;
  return undefined;
}

export class PrivateRedis {
  #child: ChildProcess | undefined;
  readonly #dir: string;
  #cpu: number | undefined;

  private constructor(
    readonly socketPath: string,
    dir: string,
  ) {
    this.#dir = dir;
  }

  /** The URL servers are given: unix:///…/redis.sock. */
  get url(): string {
    return `unix://${this.socketPath}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts one; rejects with REDIS_UNAVAILABLE (exit 2) naming the install command when redis-server is missing. */
  static async start(options: { cpu?: number } = {}): Promise<PrivateRedis> {
    const missing = redisServerMissing();
    if (missing) throw new ToolError(TOOL_ERRORS.REDIS_UNAVAILABLE, `--feed redis: ${missing}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'transport-bench-redis-'));
    const redis = new PrivateRedis(path.join(dir, 'redis.sock'), dir);
    redis.#cpu = options.cpu;
    try {
      await redis.#launch(options.cpu);
    } catch (error) {
      await redis.stop();
      throw error;
    }
    return redis;
  }

  async #launch(cpu: number | undefined): Promise<void> {
    // No TCP port, no persistence: a restart comes back empty (a new feed epoch), as the fault means it to.
    const args = ['--port', '0', '--unixsocket', this.socketPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', this.#dir, '--loglevel', 'warning'];
    // Beside the server processes (they are the server side of the measurement), not on the load CPU.
    const [file, ...argv] = cpu !== undefined && spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' }).status === 0 ? ['taskset', '-c', String(cpu), REDIS_SERVER, ...args] : [REDIS_SERVER, ...args];
    const child = spawn(file!, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    child.on('error', () => {});
    this.#child = child;
    killOnExit(child);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new ToolError(TOOL_ERRORS.REDIS_UNAVAILABLE, `redis-server exited at start: ${stderr.trim() || `code ${child.exitCode}`}`);
      if ((await probeRedis(this.url)) === undefined) return;
      if (Date.now() > deadline) throw new ToolError(TOOL_ERRORS.REDIS_UNAVAILABLE, `redis-server did not answer within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
      await delay(20);
    }
  }

  /**
   * SIGKILLs it (everything it held is gone), waits `downtimeMs`, and starts it again on the same socket; resolves
   * with the kill's time and the moment it answered again, µs on the shared clock.
   */
  async restart(downtimeMs = 0, cpu?: number): Promise<{ killedAt: number; listeningAt: number }> {
    const killedAt = nowUs();
    await this.#kill('SIGKILL');
    const waitMs = downtimeMs - (nowUs() - killedAt) / 1000;
    if (waitMs > 0) await delay(waitMs);
    await this.#launch(cpu ?? this.#cpu);
    return { killedAt, listeningAt: nowUs() };
  }

  async stop(): Promise<void> {
    await this.#kill('SIGTERM');
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([exited, delay(2_000).then(() => child.kill('SIGKILL'))]);
  }
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/**
 * The Redis a run's feed lives in: a private one (`--feed redis`), or the one the URL names, checked to answer
 * before any server starts (REDIS_UNAVAILABLE, exit 2, naming --feed, when it does not).
 */
export async function openRunRedis(feed: { kind: 'redis'; url?: string }, cpu?: number): Promise<{ url: string; description: string; stop(): Promise<void>; control?: FeedControl }> {
  if (feed.url === undefined) {
    const redis = await PrivateRedis.start({ cpu });
    return {
      url: redis.url,
      description: `a private redis-server (${redisVersion()}) on a Unix socket, nothing persisted, started and stopped by the run`,
      stop: () => redis.stop(),
      control: { restart: ({ downtimeMs }) => redis.restart(downtimeMs) },
    };
  }
  const why = await probeRedis(feed.url);
  if (why !== undefined) throw new ToolError(TOOL_ERRORS.REDIS_UNAVAILABLE, `--feed: ${why}`);
  return { url: feed.url, description: 'the Redis --feed named', stop: async () => {} };
}

/** redis-server's version, for results.method. */
export function redisVersion(): string {
  const version = /v=(\S+)/.exec(spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  return version ? `Redis ${version}` : 'Redis';
}
