import { BrowserRuntime } from './browser-runtime.ts';
import { DEFAULT_CLIENTS_PER_HOST } from './clients-per-host.ts';

/**
 * The run's browser, started on first use and closed with the run (as bench/network/network-path.ts does for
 * the delay proxies): a run with no browser step never starts chromium.
 */
export class BrowserSession {
  #starting: Promise<BrowserRuntime> | undefined;

  /** @param clientsPerHost browser clients per host name (run --browser-clients-per-host) */
  constructor(readonly clientsPerHost: number = DEFAULT_CLIENTS_PER_HOST) {}

  /** The running browser, started on the first call. */
  runtime(): Promise<BrowserRuntime> {
    this.#starting ??= BrowserRuntime.start();
    return this.#starting;
  }

  /** The Chromium version, when the browser was started. */
  async version(): Promise<string | undefined> {
    return this.#starting ? (await this.#starting.catch(() => undefined))?.version : undefined;
  }

  async close(): Promise<void> {
    const starting = this.#starting;
    this.#starting = undefined;
    if (starting) await (await starting.catch(() => undefined))?.close();
  }
}
