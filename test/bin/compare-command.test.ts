import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WS_PUSH } from '../helpers/results-factory.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = 'test/fixtures/compare/';
const dir = mkdtempSync(join(tmpdir(), 'compare-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The built-in thresholds, so these tests judge the command, not the CI tuning in compare/thresholds.json.
const DEFAULTS = join(dir, 'defaults.json');
writeFileSync(DEFAULTS, '{}');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real command the way CI does; GitHub's variables are removed so a CI run's own summary is left alone. */
function compare(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const base = { ...process.env };
  delete base.GITHUB_STEP_SUMMARY;
  delete base.GITHUB_ACTIONS;
  return new Promise((resolve, reject) => {
    const thresholds = args.includes('--thresholds') ? [] : ['--thresholds', DEFAULTS];
    const child = spawn('npx', ['tsx', 'bin/transport-bench.ts', 'compare', ...args, ...thresholds], { cwd: ROOT, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const fixture = (name: string) => FIXTURES + name;

describe('#compare command', () => {
  it('exits 0 on an improvement', async () => {
    const { code, stdout } = await compare([fixture('baseline.json'), fixture('current-improved.json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('## transport-bench compare: ✔️ PASS');
    expect(stdout).toContain('✅ improvement');
  });

  it('exits 0 on a change inside the noise band', async () => {
    expect((await compare([fixture('baseline.json'), fixture('current-noise.json')])).code).toBe(0);
  });

  it('exits 1 on a regression, naming the metric and step, and writes --markdown and the step summary', async () => {
    const markdown = join(dir, 'out', 'compare.md');
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, 'earlier step\n');
    const { code, stdout, stderr } = await compare([fixture('baseline.json'), fixture('current-regressed.json'), '--markdown', markdown], { GITHUB_STEP_SUMMARY: summary });
    expect(code).toBe(1);
    expect(stderr).toContain(`regression: latency p99 of ${WS_PUSH}`);
    expect(stdout).toContain('❌ regression');
    expect(readFileSync(markdown, 'utf8')).toBe(stdout);
    expect(readFileSync(summary, 'utf8')).toBe('earlier step\n' + stdout);
  });

  it('exits 1 on a step errored now that was ok in the baseline', async () => {
    const { code, stderr } = await compare([fixture('baseline.json'), fixture('current-errored.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain(`newly errored: ${WS_PUSH}`);
  });

  it('exits 1 when a ratio check fails', async () => {
    const { code, stderr } = await compare([fixture('baseline.json'), fixture('current-ratio-failed.json')]);
    expect(code).toBe(1);
    expect(stderr).toContain('ratio check failed: tcp bytes/message at most ws bytes/message (push)');
  });

  it('warns on the first line, without failing, when the machines differ', async () => {
    const { code, stdout } = await compare([fixture('baseline.json'), fixture('current-other-machine.json')]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/Warning: the baseline and the current run come from different environments .*2 vs 4 cores; Node 20 vs 22/);
  });

  it('exits 2 on an incompatible results schema version', async () => {
    const { code, stderr } = await compare([fixture('baseline.json'), fixture('schema-v99.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('schema-v99.json: has results schema version 99; this transport-bench reads version 1');
  });

  it('exits 2 on a missing file', async () => {
    const { code, stderr } = await compare([fixture('no-such-baseline.json'), fixture('current-improved.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('no-such-baseline.json: cannot read: no such file');
  });

  it('exits 2 on corrupt JSON', async () => {
    const { code, stderr } = await compare([fixture('corrupt.json'), fixture('current-improved.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('corrupt.json: is not valid JSON');
  });

  it('exits 2 on a bad thresholds file, naming the field', async () => {
    const { code, stderr } = await compare([fixture('baseline.json'), fixture('current-improved.json'), '--thresholds', fixture('thresholds-bad.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('thresholds-bad.json: invalid field "spreadFactor"');
  });

  it('exits 2 without two files, and 0 with --help', async () => {
    const missing = await compare([fixture('baseline.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('expected <baseline.json> <current.json>');
    const help = await compare(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: transport-bench compare <baseline.json> <current.json>');
  });
});
