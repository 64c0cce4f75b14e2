import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileTimestamp, writeResults } from '../../bench/output/results-writer.ts';
import { readResults } from '../../results/read-results.ts';
import { RESULTS_SCHEMA_VERSION, type Results } from '../../results/schema.ts';

const spread = (median: number) => ({ median, min: median, max: median });

function sample(): Results {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'transport-bench', version: '0.1.0' },
    startedAt: '2024-05-01T12:30:45.123Z',
    finishedAt: '2024-05-01T12:31:00.000Z',
    profile: 'smoke',
    config: { profile: 'smoke', transports: ['ws'], repeats: 2 },
    environment: {
      node: 'v20.0.0', v8: '11', platform: 'linux', arch: 'x64', osRelease: '6', cpuModel: 'cpu', cpuCount: 2,
      totalMemoryBytes: 1024, packages: { ws: '8.0.0' }, gitCommit: 'abc', gitDirty: false, ci: true,
    },
    method: { clock: 'monotonic' },
    steps: [
      {
        id: 'push/ws/rate=200', scenario: 'push', transport: 'ws', params: { rate: 200 }, status: 'ok', repeats: 2,
        metrics: { deliveredPerSec: spread(800), delivery: { expected: 10, delivered: 10, lost: 0, duplicated: 0, outOfOrder: 0 } },
        flags: { generatorSaturated: false, unexplainedLoss: false }, notes: [],
      },
      {
        id: 'chat/ws', scenario: 'chat', transport: 'ws', params: {}, status: 'errored', error: { code: 'BENCH_ERR_STEP_TIMEOUT', message: 'timed out' },
        repeats: 0, notes: [],
      },
    ],
    summary: { steps: 2, ok: 1, errored: 1, durationMs: 14_877 },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-results-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('#writeResults', () => {
  it('writes results/<timestamp>.json and latest.json that round-trip through readResults', () => {
    const written = writeResults(sample(), { dir });
    expect(path.basename(written.file)).toBe('2024-05-01T12-30-45-123Z.json');
    expect(readResults(written.file)).toEqual(sample());
    expect(readResults(written.latest!)).toEqual(sample());
    // No temporary file left behind.
    expect(readdirSync(dir).sort()).toEqual(['2024-05-01T12-30-45-123Z.json', 'latest.json']);
  });

  it('writes only the --out file when given one', () => {
    const out = path.join(dir, 'nested', 'run.json');
    const written = writeResults(sample(), { out, dir });
    expect(written).toEqual({ file: out });
    expect(readResults(out).steps).toHaveLength(2);
    expect(readdirSync(dir)).toEqual(['nested']);
  });

  it('refuses results that do not match the schema', () => {
    const bad = { ...sample(), steps: [{ ...sample().steps[0]!, status: 'maybe' }] } as unknown as Results;
    expect(() => writeResults(bad, { dir })).toThrow(/steps\.0\.status/);
  });

  it('names file timestamps without characters file systems refuse', () => {
    expect(fileTimestamp(new Date('2024-01-02T03:04:05.006Z'))).toMatch(/^[0-9TZ-]+$/);
  });
});

describe('#readResults of a written file', () => {
  it('fails a truncated file with a message naming it as corrupt', () => {
    const { file } = writeResults(sample(), { dir });
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 200));
    expect(() => readResults(file)).toThrow(expect.objectContaining({ code: 'RESULTS_ERR_NOT_JSON' }));
    expect(() => readResults(file)).toThrow(/not valid JSON \(corrupt or truncated\?\)/);
  });

  it('fails another schema version with a message naming both versions', () => {
    const file = path.join(dir, 'old.json');
    writeFileSync(file, JSON.stringify({ ...sample(), schemaVersion: 99 }));
    expect(() => readResults(file)).toThrow(/schema version 99; this transport-bench reads version 1/);
  });
});
