import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import { buildReport } from '../../report/build-report.ts';
import { CHART_NAMES, NODE_SWEEP_CHARTS } from '../../report/charts.ts';

// The golden run is on the memory feed and one node: every chart but the node sweep's has data.
const GOLDEN_CHARTS = CHART_NAMES.filter((name) => !NODE_SWEEP_CHARTS.includes(name));
import { browserSuiteRuns, chromiumMissing, findChromium } from '../helpers/chromium.ts';

/**
 * The report in a real browser (Debian's chromium, never a downloaded one): opened from a file:// URL it
 * must draw every chart, log no error and ask the network for nothing. Without chromium the suite is
 * skipped loudly, except under CI=true, where it fails (.ci/run installs chromium).
 */

const CHROMIUM = findChromium();
const SUITE = 'report in chromium (test/browser/report.test.ts)';
const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

// The project compiles without the DOM lib; these are the few page-side names the callbacks below use.
interface PageCanvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelectorAll<T = unknown>(selector: string): ArrayLike<T> & Iterable<T> };

interface Visit {
  page: Page;
  url: string;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

describe.runIf(browserSuiteRuns(SUITE, CHROMIUM))('#report in chromium', () => {
  let work: string;
  let context: BrowserContext;
  let single: string;
  let double: string;

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw chromiumMissing();
    work = mkdtempSync(join(tmpdir(), 'tb-report-browser-'));
    const golden = readResults(GOLDEN);
    single = join(work, 'single.html');
    double = join(work, 'double.html');
    writeFileSync(single, buildReport([{ file: 'results-golden.json', results: golden }]).html);
    writeFileSync(double, buildReport([{ file: 'latest.json', results: golden }, { file: 'older.json', results: { ...golden, startedAt: '2025-01-01T09:00:00.000Z' } }]).html);
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1360, height: 900 },
      deviceScaleFactor: 1,
    });
  });

  afterAll(async () => {
    await context?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function visit(file: string): Promise<Visit> {
    const page = await context.newPage();
    const visit: Visit = { page, url: pathToFileURL(file).href, errors: [], requests: [], dialogs: [] };
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') visit.errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => visit.errors.push(`pageerror: ${error.message}`));
    page.on('request', (request) => visit.requests.push(request.url()));
    page.on('dialog', (dialog) => {
      visit.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(visit.url, { waitUntil: 'load' });
    return visit;
  }

  /** Non-transparent pixels of every drawn canvas in the visible run, read back in the page. */
  function drawnPixels(page: Page): Promise<Record<string, number>> {
    return page.evaluate(() => {
      const counts: Record<string, number> = {};
      for (const canvas of document.querySelectorAll<PageCanvas>('section.run:not([hidden]) canvas[data-chart]')) {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let opaque = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
        counts[canvas.id] = opaque;
      }
      return counts;
    });
  }

  it('draws every chart, with no console error and no network request', async () => {
    const { page, url, errors, requests, dialogs } = await visit(single);
    await page.waitForFunction((n) => document.querySelectorAll('canvas[data-drawn="yes"]').length === n, GOLDEN_CHARTS.length);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);

    const pixels = await drawnPixels(page);
    expect(Object.keys(pixels).sort()).toEqual(GOLDEN_CHARTS.map((n) => `r0-${n}`).sort());
    for (const [id, opaque] of Object.entries(pixels)) expect(opaque, id).toBeGreaterThan(5000);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  });

  it('has a headline row per transport and shows the hostile label as text', async () => {
    const { page, dialogs } = await visit(single);
    const names = await page.locator('#r0-headline table.headline tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['Short polling (100 ms)', 'Long polling', 'WebSocket (ws)', 'Socket.IO', 'SSE', 'Raw TCP (floor)']);
    // The headlines under the golden run's other conditions: 50 and 100 ms round trips and 1 % loss at 50 ms (all
    // six), browser headers (the five HTTP ones).
    expect(await page.locator('h2', { hasText: /^Headline, over an emulated 50 ms round trip$/ }).count()).toBe(1);
    expect(await page.locator('h2', { hasText: /^Headline, over an emulated 100 ms round trip$/ }).count()).toBe(1);
    expect(await page.locator('h2', { hasText: /^Headline, over an emulated 50 ms round trip losing 1 % of packets$/ }).count()).toBe(1);
    expect(await page.locator('h2', { hasText: 'Headline, with browser request headers' }).count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(3);
    const reason = await page.locator('#r0-details table td', { hasText: 'step did not finish' }).textContent();
    expect(reason).toContain(HOSTILE);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('switches runs with the picker and draws the other run on demand', async () => {
    const { page, errors } = await visit(double);
    await page.waitForFunction((n) => document.querySelectorAll('#run-0 canvas[data-drawn="yes"]').length === n, GOLDEN_CHARTS.length);
    expect(await page.locator('#run-1 canvas[data-drawn="yes"]').count()).toBe(0);
    await page.selectOption('#run-select', '1');
    await page.waitForFunction((n) => document.querySelectorAll('#run-1 canvas[data-drawn="yes"]').length === n, GOLDEN_CHARTS.length);
    expect(await page.locator('#run-0').isHidden()).toBe(true);
    const pixels = await drawnPixels(page);
    expect(Object.keys(pixels).every((id) => id.startsWith('r1-'))).toBe(true);
    for (const [id, opaque] of Object.entries(pixels)) expect(opaque, id).toBeGreaterThan(5000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
