import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TRANSPORTS } from '../../clients/browser/live-page.ts';
import { installLivePage } from '../../bin/live-page-routes.ts';
import type { TransportName } from '../../protocol/transports.ts';
import { serveAll } from '../../servers/serve-all.ts';
import { browserSuiteRuns, chromiumMissing, findChromium } from '../helpers/chromium.ts';

/**
 * The live page of `serve` in Debian's chromium: two pages chat in one room over each of the five panels, a
 * dropped connection is resumed without losing a message, bad input is refused where the user sees it, and the
 * page asks nothing of anyone but the six servers and logs no error.
 */

const CHROMIUM = findChromium();
const SUITE = 'live page in chromium (test/browser/live-page.test.ts)';

interface Watch {
  page: Page;
  errors: string[];
  requests: string[];
}

describe.runIf(browserSuiteRuns(SUITE, CHROMIUM))('#live page in chromium', () => {
  let running: Awaited<ReturnType<typeof serveAll>>;
  let ports: Record<TransportName, number>;
  let browser: Browser;
  let context: BrowserContext;
  let url: string;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw chromiumMissing();
    running = await serveAll({
      basePort: 0,
      host: '127.0.0.1',
      room: 'lobby',
      beforeListen: (server) => {
        if (server.transport === 'short-polling') installLivePage(server.app!, { ports: () => ports, room: 'chat', maxTextLength: 500, pollIntervalMs: 100 });
      },
    });
    ports = Object.fromEntries(running.endpoints.map((e) => [e.transport, e.port])) as Record<TransportName, number>;
    url = `http://127.0.0.1:${ports['short-polling']}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    context = await browser.newContext();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await running?.close();
  });

  async function open(nickname: string, room: string): Promise<Watch> {
    const page = await context.newPage();
    const watch: Watch = { page, errors: [], requests: [] };
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') watch.errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => watch.errors.push(`pageerror: ${error.message}`));
    page.on('request', (request) => watch.requests.push(request.url()));
    page.on('websocket', (socket) => watch.requests.push(socket.url()));
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('[data-role="nickname"]').fill(nickname);
    await page.locator('[data-role="room"]').fill(room);
    await page.locator('[data-role="join"] button').click();
    for (const transport of BROWSER_TRANSPORTS) await page.locator(`[data-transport="${transport}"][data-state="open"]`).waitFor({ timeout: 15_000 });
    return watch;
  }

  const panel = (page: Page, transport: string) => page.locator(`[data-transport="${transport}"]`);

  async function say(page: Page, transport: string, text: string): Promise<void> {
    await panel(page, transport).locator('[data-role="message-input"]').fill(text);
    await panel(page, transport).locator('[data-role="send"]').click();
  }

  it('lets two pages in one room exchange a message over each of the five panels, with nothing asked of anyone else and no error', async () => {
    const room = `room-${Date.now()}`;
    const alice = await open('alice', room);
    const bob = await open('bob', room);
    for (const transport of BROWSER_TRANSPORTS) {
      await say(alice.page, transport, `hello over ${transport}`);
      await say(bob.page, transport, `hi back over ${transport}`);
    }
    for (const transport of BROWSER_TRANSPORTS) {
      for (const { page } of [alice, bob]) {
        const messages = panel(page, transport).locator('[data-role="messages"]');
        await expect.poll(() => messages.textContent(), { timeout: 10_000 }).toContain(`alice` + `hello over ${transport}`);
        await expect.poll(() => messages.textContent(), { timeout: 10_000 }).toContain(`bob` + `hi back over ${transport}`);
      }
      // Alice's own message came back through her panel: its echo latency is shown.
      await expect.poll(() => panel(alice.page, transport).locator('[data-role="latency"]').textContent(), { timeout: 10_000 }).toMatch(/^p50 [\d.]+ ms · p99 [\d.]+ ms \(\d+\)$/);
      await expect.poll(() => panel(alice.page, transport).locator('[data-role="bytes"]').textContent(), { timeout: 10_000 }).toMatch(/^↑ [\d.]+ k?B · ↓ [\d.]+ k?B$/);
      expect(await panel(bob.page, transport).locator('[data-role="integrity"]').textContent()).toBe('every message once, in order');
    }
    const allowed = new Set(Object.values(ports).map((port) => `127.0.0.1:${port}`));
    for (const { requests, errors } of [alice, bob]) {
      expect(requests.filter((r) => !allowed.has(new URL(r).host))).toEqual([]);
      expect(errors).toEqual([]);
    }
    await alice.page.close();
    await bob.page.close();
  });

  it('resumes every panel from its cursor when serve drops every connection, losing nothing', async () => {
    const room = `drop-${Date.now()}`;
    const carol = await open('carol', room);
    const dave = await open('dave', room);
    await say(carol.page, 'ws', 'before the drop');
    for (const transport of BROWSER_TRANSPORTS) await expect.poll(() => panel(dave.page, transport).locator('[data-role="messages"] li').count(), { timeout: 10_000 }).toBe(1);
    for (const server of running.servers) server.dropConnections();
    // Published while the panels are away: each must fetch it from its cursor when it is back.
    for (const transport of BROWSER_TRANSPORTS) {
      await fetch(`http://127.0.0.1:${ports[transport]}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room, payload: JSON.stringify({ n: 'server', t: `while away (${transport})` }) }) });
    }
    // Every server of `serve` shares one feed: each panel of both pages gets the five messages published while away.
    const count = (page: Page, transport: string) => panel(page, transport).locator('[data-role="messages"] li').count();
    for (const transport of BROWSER_TRANSPORTS) {
      for (const { page } of [carol, dave]) await expect.poll(() => count(page, transport), { timeout: 15_000 }).toBe(6);
    }
    for (const transport of BROWSER_TRANSPORTS) await say(carol.page, transport, 'after the drop');
    for (const transport of BROWSER_TRANSPORTS) {
      const daves = panel(dave.page, transport);
      await expect.poll(() => count(dave.page, transport), { timeout: 15_000 }).toBe(11);
      expect(await daves.locator('[data-role="integrity"]').textContent()).toBe('every message once, in order');
      // A poll cut on a kept-alive socket is retried by the browser itself (an idempotent GET), so the polling
      // panels may see no failure at all; the streams lost their connection and made a new one.
      const reconnects = Number(await daves.locator('[data-role="reconnects"]').textContent());
      if (transport === 'ws' || transport === 'socket-io' || transport === 'sse') expect(reconnects, transport).toBeGreaterThanOrEqual(1);
      const seqs = await daves.locator('[data-role="messages"] li').evaluateAll((items) => items.map((item) => Number((item as unknown as { getAttribute(name: string): string | null }).getAttribute('data-seq'))));
      expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    }
    expect([...carol.errors, ...dave.errors].filter((e) => !/ERR_CONNECTION|net::|WebSocket connection|EventSource/.test(e))).toEqual([]);
    await carol.page.close();
    await dave.page.close();
  });

  it('refuses bad input where the user sees it: an over-long message, a bad nickname, a bad room', async () => {
    const erin = await open('erin', `input-${Date.now()}`);
    const ws = panel(erin.page, 'ws');
    await say(erin.page, 'ws', 'x'.repeat(501));
    await expect.poll(() => ws.locator('[data-role="error"]').textContent()).toMatch(/Too long: at most 500 characters \(this one has 501\)/);
    expect(await ws.locator('[data-role="messages"] li').count()).toBe(0);
    await say(erin.page, 'ws', '<img src=x onerror=alert(1)>');
    await expect.poll(() => ws.locator('[data-role="messages"] .text').first().textContent()).toBe('<img src=x onerror=alert(1)>');
    expect(await erin.page.locator('img').count()).toBe(0);
    await erin.page.locator('[data-role="nickname"]').fill('no spaces allowed');
    await erin.page.locator('[data-role="join"] button').click();
    await expect.poll(() => erin.page.locator('[data-role="join-error"]').textContent()).toMatch(/^Nickname: 1–64 of/);
    await erin.page.locator('[data-role="nickname"]').fill('erin');
    await erin.page.locator('[data-role="room"]').fill('x'.repeat(65));
    await erin.page.locator('[data-role="join"] button').click();
    await expect.poll(() => erin.page.locator('[data-role="join-error"]').textContent()).toMatch(/^Room: 1–64 of/);
    expect(erin.errors).toEqual([]);
    await erin.page.close();
  });

  it('estimates the server clock\'s offset over each transport within ±0.5 ms of an offset injected into the page\'s clock', async () => {
    const page = await context.newPage();
    await page.goto(url);
    const injectMs = 250.125;
    const origins = Object.fromEntries(BROWSER_TRANSPORTS.map((t) => [t, `http://127.0.0.1:${ports[t]}`]));
    const estimates = await page.evaluate(
      async ({ transports, origins, injectMs }) => {
        interface Estimate { offsetMs: number; uncertaintyMs: number; samples: number }
        interface Client { close(): void }
        interface Api {
          now(): number;
          connect(options: Record<string, unknown>): Client;
          estimateOffset(client: Client, k: number): Promise<Estimate>;
        }
        const api = (globalThis as unknown as { TransportBenchClients: Api }).TransportBenchClients;
        const out: Record<string, { plain: Estimate; shifted: Estimate }> = {};
        for (const transport of transports) {
          let client: Client | undefined;
          await new Promise<void>((open) => {
            client = api.connect({ transport, origin: origins[transport], room: `clock-${transport}`, cid: `clock${transports.indexOf(transport)}`, onMessage: () => {}, onState: (state: string) => state === 'open' && open() });
          });
          const plain = await api.estimateOffset(client!, 100);
          const pageClock = api.now;
          api.now = () => pageClock() + injectMs;
          const shifted = await api.estimateOffset(client!, 100);
          api.now = pageClock;
          client!.close();
          out[transport] = { plain, shifted };
        }
        return out;
      },
      { transports: [...BROWSER_TRANSPORTS], origins, injectMs },
    );
    for (const transport of BROWSER_TRANSPORTS) {
      const { plain, shifted } = estimates[transport]!;
      expect(plain.samples, transport).toBe(100);
      // The page's clock moved forward by injectMs, so the server's is that much less ahead of it; each estimate
      // is off by at most its uncertainty (half the shortest of 100 round trips: 0.15–0.3 ms here, over
      // HTTP timed by the request's Resource Timing), and by much less in practice.
      const error = Math.abs(plain.offsetMs - shifted.offsetMs - injectMs);
      expect(error, transport).toBeLessThan(0.5);
      expect(error, transport).toBeLessThanOrEqual(plain.uncertaintyMs + shifted.uncertaintyMs);
    }
    await page.close();
  });

  it('serves the page with a strict CSP and cross-origin isolation', async () => {
    const answer = await fetch(url);
    const csp = answer.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${ports.ws}`);
    expect(answer.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(answer.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const page = await context.newPage();
    await page.goto(url);
    expect(await page.evaluate(() => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated)).toBe(true);
    await page.close();
  });
});
