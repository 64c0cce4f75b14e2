import { describe, expect, it } from 'vitest';
import { captureBrowserHeaders } from '../../tools/browser-headers/capture.ts';
import { BROWSER_HEADERS_FILE, readHeaderSet } from '../../clients/request-headers.ts';
import { browserSuiteRuns, chromiumMissing, findChromium } from '../helpers/chromium.ts';

/**
 * `--request-headers browser` must be what Debian's chromium really sends. The suite captures a fetch, an
 * EventSource and a WebSocket upgrade from chromium against a recording server of ours, and compares them
 * with the committed clients/browser-headers.json: the same headers in the same order, the same values but
 * for the version numbers a chromium update changes (User-Agent, sec-ch-ua), and bytes within 5 %. When
 * chromium changed more than that, refresh the file: `npx tsx tools/browser-headers/capture.ts`.
 */
const CHROMIUM = findChromium();
const SUITE = 'browser request headers (test/browser/request-headers.test.ts)';
const VERSIONED = ['user-agent', 'sec-ch-ua'];
const bytes = (pairs: Array<[string, string]>) => pairs.reduce((n, [name, value]) => n + name.length + value.length + 4, 0);

describe.runIf(browserSuiteRuns(SUITE, CHROMIUM))('#browser request headers', () => {
  it('clients/browser-headers.json is what chromium sends for a fetch, an EventSource and a WebSocket upgrade', { timeout: 60_000 }, async () => {
    if (CHROMIUM === undefined) throw chromiumMissing();
    const captured = await captureBrowserHeaders(CHROMIUM);
    const committed = readHeaderSet(BROWSER_HEADERS_FILE, 'browser');
    const refresh = 'chromium sends other headers than clients/browser-headers.json: refresh it with `npx tsx tools/browser-headers/capture.ts`';
    for (const kind of ['fetch', 'eventSource', 'websocket'] as const) {
      expect(captured[kind].map(([name]) => name), `${kind}: ${refresh}`).toEqual(committed[kind].map(([name]) => name));
      const unversioned = (pairs: Array<[string, string]>) => pairs.filter(([name]) => !VERSIONED.includes(name.toLowerCase()));
      expect(unversioned(captured[kind]), `${kind}: ${refresh}`).toEqual(unversioned(committed[kind]));
      expect(Math.abs(bytes(captured[kind]) - bytes(committed[kind])) / bytes(committed[kind]), `${kind}: ${refresh}`).toBeLessThanOrEqual(0.05);
      // What --request-headers browser costs: several hundred bytes on every request but the upgrade.
      expect(bytes(committed[kind])).toBeGreaterThan(kind === 'websocket' ? 150 : 300);
    }
  });
});
