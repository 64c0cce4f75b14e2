import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../bin/commands/report.ts';

const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;

describe('#report command', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };
  const run = (...argv: string[]) => main(argv, io);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tb-report-'));
    out = [];
    err = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the page and the summary and exits 0', async () => {
    const html = join(dir, 'nested', 'index.html');
    const summary = join(dir, 'summary.md');
    expect(await run(GOLDEN, '--out', html, '--summary', summary)).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    expect(readFileSync(summary, 'utf8')).toContain('## transport-bench results');
    expect(out.join('')).toContain('1 errored step, shown with its reason');
  });

  it('takes several results files', async () => {
    const html = join(dir, 'index.html');
    expect(await run(GOLDEN, GOLDEN, '--out', html, '--summary', join(dir, 's.md'))).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('id="runs-compared"');
  });

  it('prints help and exits 0', async () => {
    expect(await run('--help')).toBe(0);
    expect(out.join('')).toContain('Usage: transport-bench report');
  });

  it('exits 2 on an unknown option', async () => {
    expect(await run('--colour')).toBe(2);
    expect(err.join('')).toContain("unknown option --colour");
  });

  it('exits 2 naming a missing file', async () => {
    const missing = join(dir, 'nope.json');
    expect(await run(missing, '--out', join(dir, 'i.html'))).toBe(2);
    expect(err.join('')).toContain(`${missing}: cannot read: no such file`);
  });

  it('exits 2 on a corrupt file', async () => {
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"schemaVersion": 1, "steps": [');
    expect(await run(corrupt, '--out', join(dir, 'i.html'))).toBe(2);
    expect(err.join('')).toContain('is not valid JSON (corrupt or truncated?)');
  });

  it('exits 2 on a file of another schema version', async () => {
    const future = join(dir, 'future.json');
    writeFileSync(future, JSON.stringify({ schemaVersion: 99 }));
    expect(await run(future, '--out', join(dir, 'i.html'))).toBe(2);
    expect(err.join('')).toContain('has results schema version 99');
  });

  it('exits 2 on a file of the wrong shape', async () => {
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ schemaVersion: 1, steps: 'none' }));
    expect(await run(wrong, '--out', join(dir, 'i.html'))).toBe(2);
    expect(err.join('')).toContain('is not valid results');
  });

  it('exits 2 when the page cannot be written', async () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    expect(await run(GOLDEN, '--out', join(blocker, 'index.html'), '--summary', join(dir, 's.md'))).toBe(2);
    expect(err.join('')).toContain('cannot write the report');
  });
});
