import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { BENCH_PAGE_HTML, BENCH_PAGE_PATHS, BENCH_PAGE_SCRIPT } from '../../clients/browser/bench-page-script.ts';
import { FEED_CLIENTS_SCRIPT } from '../../clients/browser/feed-clients-script.ts';
import { findChromium, INSTALL_CHROMIUM } from '../../clients/browser/find-chromium.ts';
import { socketIoBundlePath } from '../../clients/browser/socket-io-bundle.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';

/**
 * The browser the clients of `run --client-runtime browser` live in: Debian's chromium driven through
 * playwright-core (never a downloaded browser), started once per run on first use, and the small HTTP server in
 * the load process that serves the clients' page (clients/browser/bench-page-script.ts). The page is cross-origin
 * isolated (COOP/COEP), so its clock reads in 5 µs steps instead of 100 µs; the transports' servers are other
 * origins (their own ports), which every server allows (servers/cors.ts).
 */

// *.localhost is loopback: the clients' host names (browser-pool.ts) each get Chromium's 6 connections per host.
const CHROMIUM_ARGS = ['--host-resolver-rules=MAP *.localhost 127.0.0.1', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'];

/** Debian's chromium, or a clear error naming the install command (exit 2: nothing runs without the browser it was asked for). */
export function requireChromium(): string {
  const executablePath = findChromium();
  if (executablePath !== undefined) return executablePath;
  throw new ToolError(TOOL_ERRORS.BROWSER_UNAVAILABLE, `--client-runtime browser needs Debian's chromium, and none was found (CHROMIUM_PATH or chromium on the PATH): install it with \`${INSTALL_CHROMIUM}\``);
}

export class BrowserRuntime {
  /** Pages a pool gave back, their clients closed: the next pool takes them instead of loading new ones. */
  readonly #idle: Page[] = [];

  private constructor(
    readonly browser: Browser,
    readonly version: string,
    readonly pageUrl: string,
    private readonly pageServer: http.Server,
  ) {}

  /** Starts chromium and the page server; a missing chromium is a clear error naming the install command. */
  static async start(): Promise<BrowserRuntime> {
    const executablePath = requireChromium();
    const { chromium } = await import('playwright-core');
    const pageServer = servePage();
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const port = (pageServer.address() as AddressInfo).port;
    const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS }).catch((error: unknown) => {
      pageServer.close();
      throw error;
    });
    return new BrowserRuntime(browser, browser.version(), `http://127.0.0.1:${port}${BENCH_PAGE_PATHS.page}`, pageServer);
  }

  /** A page holding no clients, its scripts loaded: one given back, else a new one. */
  async newPage(): Promise<Page> {
    const idle = this.#idle.pop();
    if (idle && !idle.isClosed()) return idle;
    const page = await this.browser.newPage();
    await page.goto(this.pageUrl, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { TransportBenchPage?: unknown }).TransportBenchPage !== undefined);
    return page;
  }

  /** Takes back a page whose clients are closed (TransportBenchPage.close()). */
  releasePage(page: Page): void {
    if (!page.isClosed()) this.#idle.push(page);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.pageServer.close(() => resolve()));
  }
}

/** The page and its three scripts, each with the headers cross-origin isolation needs. */
function servePage(): http.Server {
  const files: Record<string, { type: string; body: string }> = {
    [BENCH_PAGE_PATHS.page]: { type: 'text/html; charset=utf-8', body: BENCH_PAGE_HTML },
    [BENCH_PAGE_PATHS.socketIo]: { type: 'application/javascript; charset=utf-8', body: readFileSync(socketIoBundlePath(), 'utf8') },
    [BENCH_PAGE_PATHS.clients]: { type: 'application/javascript; charset=utf-8', body: FEED_CLIENTS_SCRIPT },
    [BENCH_PAGE_PATHS.script]: { type: 'application/javascript; charset=utf-8', body: BENCH_PAGE_SCRIPT },
  };
  return http.createServer((request, response) => {
    const file = files[(request.url ?? '/').split('?')[0]!];
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': file.type,
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    });
    response.end(file.body);
  });
}
