import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { erroredVersion, latency, spread, typicalRun, withStep, LONG_POLLING_PUSH, TCP_PUSH, WS_PUSH } from './results-factory.ts';

/**
 * The files in test/fixtures/compare/, built with the results factory. The command tests read them from
 * disk; test/compare-fixtures.test.ts checks they still equal what this builds.
 * Regenerate: npx tsx test/helpers/compare-fixtures.ts
 */

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/compare/', import.meta.url));

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function compareFixtures(): Record<string, string> {
  const baseline = typicalRun();
  const setP99 = (p99: number) =>
    withStep(baseline, WS_PUSH, (step) => {
      step.metrics.latency = latency(90, p99);
    });
  return {
    'baseline.json': json(baseline),
    // long-polling 260 → 200 B/message, both runs tight: better by more than the 10 % relative floor.
    'current-improved.json': json(
      withStep(baseline, LONG_POLLING_PUSH, (step) => {
        step.metrics.bytesPerMessage!.total = spread(200, 0.01);
      }),
    ),
    // ws p99 600 → 3,600 µs (6×): worse than the default 4 × relative floor allows.
    'current-regressed.json': json(setP99(3_600)),
    // long-polling 260 → 300 B/message: past the 10 % floor, but the current repeats spread 240–360 B, so noise.
    'current-noise.json': json(
      withStep(baseline, LONG_POLLING_PUSH, (step) => {
        step.metrics.bytesPerMessage!.total = { median: 300, min: 240, max: 360 };
      }),
    ),
    'current-errored.json': json(
      withStep(baseline, WS_PUSH, (step) => erroredVersion(step, { code: 'BENCH_ERR_SERVER_CRASHED', message: 'ws server exited with code 1' })),
    ),
    // tcp 110 → 112.5 B/message: inside its own noise band, but now above ws's 112 B, so "tcp ≤ ws" fails.
    'current-ratio-failed.json': json(
      withStep(baseline, TCP_PUSH, (step) => {
        step.metrics.bytesPerMessage!.total = { median: 112.5, min: 111.4, max: 113.6 };
      }),
    ),
    'current-other-machine.json': json(typicalRun({ environment: { cpuModel: 'Other CPU @ 2.10GHz', cpuCount: 4, node: 'v22.11.0' } })),
    'schema-v99.json': json({ ...baseline, schemaVersion: 99 }),
    'corrupt.json': json(baseline).slice(0, 300),
    'thresholds-bad.json': json({ spreadFactor: 'wide' }),
  };
}

export function writeCompareFixtures(): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const [name, text] of Object.entries(compareFixtures())) writeFileSync(FIXTURE_DIR + name, text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) writeCompareFixtures();
