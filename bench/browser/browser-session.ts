import { BrowserRuntime } from './browser-runtime.ts';
import { DEFAULT_CLIENTS_PER_HOST } from './clients-per-host.ts';

/**
 * The run's browser, started on first use and closed once no browser step is left (as bench/network/network-path.ts
 * does for the delay proxies): a run with no browser step never starts chromium, and the Node steps after the last
 * browser step share the machine with no idle browser.
 */
export class BrowserSession {
  #starting: Promise<BrowserRuntime> | undefined;
  #version: string | undefined;

  /**
   * @param clientsPerHost browser clients per host name (run --browser-clients-per-host)
   * @param unavailable why this run has no browser (a profile's browser steps on a machine without chromium): its
   * browser steps are skipped with this reason
   */
  constructor(
    readonly clientsPerHost: number = DEFAULT_CLIENTS_PER_HOST,
    readonly unavailable?: string,
  ) {}

  /** The running browser, started on the first call. */
  runtime(): Promise<BrowserRuntime> {
    this.#starting ??= BrowserRuntime.start();
    return this.#starting;
  }

  /** The Chromium version, when the browser was started. */
  async version(): Promise<string | undefined> {
    return this.#starting ? (await this.#starting.catch(() => undefined))?.version : this.#version;
  }

  async close(): Promise<void> {
    const starting = this.#starting;
    this.#starting = undefined;
    const runtime = await starting?.catch(() => undefined);
    if (!runtime) return;
    this.#version = runtime.version;
    await runtime.close();
  }
}
