import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProxyConditions } from './delay-proxy.ts';
import type { ProxyReply, ProxyRequest } from './proxy-entry.ts';

/**
 * The harness's handle on the proxy process (bench/network/proxy-entry.ts): started on first use, one for the
 * whole run, killed with the harness. Requests go out with ids; each promise settles on its reply.
 */

const ENTRY = fileURLToPath(new URL('./proxy-entry.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 15_000;

type Request = ProxyRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class ProxyProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (reply: ProxyReply) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #exited: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (raw: unknown) => {
      const reply = raw as ProxyReply;
      const waiter = this.#waiting.get(reply.id);
      if (!waiter) return;
      this.#waiting.delete(reply.id);
      if (reply.type === 'error') waiter.reject(new Error(`network proxy: ${reply.message}`));
      else waiter.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      this.#exited = new Error(`the network proxy process exited (${signal ?? `code ${code}`})`);
      for (const waiter of this.#waiting.values()) waiter.reject(this.#exited);
      this.#waiting.clear();
    });
  }

  /** Starts the proxy process, inside a namespace when `prefix` says so (`ip netns exec <name>`). */
  static async start(prefix: readonly string[] = []): Promise<ProxyProcess> {
    const command = [...prefix, process.execPath, '--import', 'tsx', ENTRY];
    const child = spawn(command[0]!, command.slice(1), { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    process.once('exit', () => child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the network proxy process did not start within 15 s')), START_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the network proxy process exited while starting (code ${code})`));
      });
    });
    return new ProxyProcess(child);
  }

  #ask(request: Request): Promise<ProxyReply> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#child.send({ ...request, id });
    });
  }

  /** A proxy in front of `target` under `conditions`: where the clients connect instead. */
  async open(target: { host: string; port: number }, conditions: ProxyConditions, where: { listenHost?: string; localAddress?: string } = {}): Promise<{ host: string; port: number }> {
    const reply = await this.#ask({ type: 'open', target, conditions, ...where });
    if (!('port' in reply)) throw new Error('network proxy: no port in its answer');
    return { host: reply.host, port: reply.port };
  }

  /** CPU time the proxy process has used since it started, µs (user + system). */
  async cpuUs(): Promise<number> {
    const reply = await this.#ask({ type: 'cpu' });
    return 'cpuUs' in reply ? reply.cpuUs : 0;
  }

  stop(): void {
    this.#child.kill('SIGTERM');
  }
}
