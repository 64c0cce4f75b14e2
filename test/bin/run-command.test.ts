import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { readResults } from '../../results/read-results.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tb-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('#transport-bench run', () => {
  it('exits 2 on --rate -1, naming --rate', async () => {
    const { code, stderr } = await cli(['run', '--rate', '-1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/invalid option --rate/);
  });

  it('exits 2 on an unknown flag and on an unknown transport, naming them', async () => {
    const unknown = await cli(['run', '--transports', 'carrier-pigeon']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--transports.*"ws"/);
    const flag = await cli(['run', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option --frobnicate/);
  });

  it('exits 2 at once on --client-runtime browser without chromium, naming the install command; 2 on a bad runtime', async () => {
    const missing = await cli(['run', '--client-runtime', 'browser', '--scenarios', 'push'], { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--client-runtime browser needs Debian's chromium.*apt-get install -y --no-install-recommends chromium/);
    const bad = await cli(['run', '--client-runtime', 'netscape']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid option --client-runtime/);
  });

  it('exits 2 on a bad --feed URL, an unreachable Redis, a missing redis-server and --nodes 0, naming the option', { timeout: 90_000 }, async () => {
    const [url, unreachable, missing, zero] = await Promise.all([
      cli(['run', '--feed', 'http://localhost:6379']),
      cli(['run', '--feed', 'redis://127.0.0.1:1', '--scenarios', 'push', '--transports', 'ws']),
      cli(['run', '--feed', 'redis', '--scenarios', 'push', '--transports', 'ws'], { ...process.env, REDIS_SERVER_PATH: '/nonexistent/redis-server' }),
      cli(['run', '--nodes', '0']),
    ]);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/invalid option --feed: a Redis URL starts with redis:\/\//);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/--feed: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--feed redis: Debian's redis-server is not installed.*apt-get install -y --no-install-recommends redis-server/);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/invalid option --nodes/);
  });

  it('prints its options and exits 0 on --help', async () => {
    const { code, stdout } = await cli(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: transport-bench run/);
    expect(stdout).toMatch(/--profile <name>/);
    expect(stdout).toMatch(/--rate <list>/);
  });

  it('runs a one-step plan, writes a valid results file and prints the table', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'one.json');
    const { code, stdout, stderr } = await cli(['run', '--profile', 'smoke', '--client-runtime', 'node', '--transports', 'tcp', '--scenarios', 'push', '--repeats', '1', '--duration', '200', '--warmup', '50', '--quiet', '--out', out]);
    // Under load the step may be flagged, e.g. `ok (generator saturated)`: the flag is honest, not a failure.
    expect(stderr).toMatch(/\[1\/1\] ok( \([^)]*\))? +push\/tcp/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/transport +scenario/);
    const results = readResults(out);
    expect(results.steps.map((s) => [s.transport, s.scenario, s.status])).toEqual([['tcp', 'push', 'ok']]);
    expect(results.config).toMatchObject({ profile: 'smoke', repeats: 1, durationMs: 200 });
    // The run command asks for pinning (bin/commands/run.ts): its outcome is recorded, pinned or why not, never
    // the runner's default for a caller that did not ask ('not pinned (no CPU pinning requested)').
    expect(results.method.pinning).toMatch(/^(main thread of the server process pinned to CPU 0|not pinned: )/);
  });

  it('skips the profile\'s browser steps without chromium outside CI, loudly and naming the install command; requires chromium under CI=true', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'skipped.json');
    const args = ['run', '--profile', 'smoke', '--transports', 'ws', '--scenarios', 'push', '--repeats', '1', '--duration', '200', '--warmup', '50', '--quiet', '--out', out];
    const noChromium: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' };
    delete noChromium.CI;
    const skipped = await cli(args, noChromium);
    expect(skipped.stderr).toMatch(/warning: skipped: the smoke profile's browser steps need Debian's chromium.*apt-get install -y --no-install-recommends chromium/);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/1 step not run here/);
    const results = readResults(out);
    expect(results.steps.map((s) => [s.id, s.status === 'errored' ? s.error.code : s.status])).toEqual([
      ['push/ws/rate=200/clients=4/payload=64', 'ok'],
      ['push/ws/rate=200/clients=4/payload=64/runtime=browser', 'BENCH_ERR_SKIPPED'],
    ]);
    expect(results.method.clientRuntime).toMatch(/were skipped: .*chromium/);
    const ci = await cli(args, { ...noChromium, CI: 'true' });
    expect(ci.code).toBe(2);
    expect(ci.stderr).toMatch(/needs Debian's chromium/);
  });
});
