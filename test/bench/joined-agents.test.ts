import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTALL_IPTABLES, LossNamespace, lossUnsupportedReason } from '../../bench/network/loss-namespace.ts';
import { readResults } from '../../results/read-results.ts';
import { cli } from '../helpers/cli.ts';
import { redisSuiteRuns } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The other-host case needs a network namespace of our own (root, ip, iptables); under CI=true it is required. */
const NAMESPACE_SUITE = 'an agent in another network namespace (test/bench/joined-agents.test.ts)';
const namespaceMissing = lossUnsupportedReason();
const namespaceRuns = namespaceMissing === undefined || process.env.CI === 'true';
if (!namespaceRuns) process.stderr.write(`\n!!! SKIPPED test "${NAMESPACE_SUITE}": ${namespaceMissing}. Install with: ${INSTALL_IPTABLES} (as root). Under CI=true it is required.\n\n`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tb-joined-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `transport-bench …` in the background: its exit, and its stderr so far. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env, prefix: readonly string[] = []): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const [file, ...argv] = [...prefix, 'npx', 'tsx', 'bin/transport-bench.ts', ...args];
  const child = spawn(file!, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, stderr: () => stderr, exited };
}

async function waitFor<T>(read: () => T | undefined, what: string, withinMs = 60_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** "agent 1 (alpha: …, joined): +5000.012 ms ± 151 µs" → µs. */
function clockOf(note: string, name: string): { offsetUs: number; uncertaintyUs: number } {
  const match = new RegExp(`${name}[^)]*\\): ([+−])([\\d.]+) (ms|µs) ± ([\\d.]+) (ms|µs)`).exec(note);
  if (!match) throw new Error(`no clock for ${name} in: ${note}`);
  const us = (value: string, unit: string) => Number(value) * (unit === 'ms' ? 1000 : 1);
  return { offsetUs: (match[1] === '−' ? -1 : 1) * us(match[2]!, match[3]!), uncertaintyUs: us(match[4]!, match[5]!) };
}

describe('#transport-bench agent --join and run --join-agents', () => {
  it('exits 2 on a bad --join, an unreachable Redis, --name alone, and --join-agents without a Redis feed', async () => {
    const [bad, unreachable, nameAlone, memory] = await Promise.all([
      cli(['agent', '--join', 'localhost:6379']),
      cli(['agent', '--join', 'redis://127.0.0.1:1']),
      cli(['agent', '--name', 'alpha']),
      cli(['run', '--join-agents', '1']),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid option --join: 'localhost:6379' is not a Redis URL/);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/--join: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(nameAlone.code).toBe(2);
    expect(nameAlone.stderr).toMatch(/option --name goes with --join/);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/invalid option --join-agents: agents join through the feed's Redis/);
  });

  it.runIf(redisSuiteRuns('joined agents'))('exits 2 when the agents do not join in time, naming --join-agents', { timeout: 60_000 }, async () => {
    const { code, stderr } = await cli(['run', '--profile', 'smoke', '--transports', 'ws', '--scenarios', 'push', '--client-runtime', 'node', '--feed', 'redis', '--join-agents', '1', '--join-timeout', '2000', '--out', path.join(dir, 'none.json')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/start each with `transport-bench agent --join unix:\/\/\/.*redis\.sock`/);
    expect(stderr).toMatch(/--join-agents 1: 0 of 1 agents joined within 2000 ms/);
  });

  it.runIf(redisSuiteRuns('joined agents'))(
    "two agents whose clocks read 5 s ahead and 3 s behind join through Redis: the run measures each offset to within its bound, and every delivery and send counts, on the run's clock",
    { timeout: 180_000 },
    async () => {
      const out = path.join(dir, 'joined.json');
      // ws alone: push maps the agents' receive stamps, chat their sends too; the suite shares 2 cores with timing-bound tests.
      const run = start(['run', '--profile', 'smoke', '--transports', 'ws', '--scenarios', 'push,chat', '--client-runtime', 'node', '--repeats', '1', '--feed', 'redis', '--join-agents', '2', '--quiet', '--out', out]);
      const url = await waitFor(() => /agent --join (unix:\/\/\/\S+redis\.sock)/.exec(run.stderr())?.[1], 'join URL in the run\'s stderr');
      // One machine, one monotonic clock: the skew is the agents' true offset, which the run does not know.
      const ahead = start(['agent', '--join', url, '--name', 'ahead'], { ...process.env, TRANSPORT_BENCH_AGENT_CLOCK_SKEW_US: '5000000' });
      const behind = start(['agent', '--join', url, '--name', 'behind'], { ...process.env, TRANSPORT_BENCH_AGENT_CLOCK_SKEW_US: '-3000000' });
      const [runCode, aheadCode, behindCode] = await Promise.all([run.exited, ahead.exited, behind.exited]);
      expect(runCode, run.stderr()).toBe(0);
      expect(aheadCode, ahead.stderr()).toBe(0);
      expect(behindCode, behind.stderr()).toBe(0);
      expect(run.stderr()).toMatch(/ahead joined \(\d of 2\)/);

      const results = readResults(out);
      expect(results.method.agents).toMatch(/2 that joined it through the feed's Redis/);
      expect(results.steps).toHaveLength(2);
      for (const step of results.steps) {
        if (step.status !== 'ok') throw new Error(`${step.id}: ${JSON.stringify(step)}`);
        // Measured before the connect, and again after the window.
        const notes = ['clocks of the agents that joined, against', 'clocks of the agents that joined, measured again'].map((start) => step.notes.find((n) => n.startsWith(start)));
        for (const note of notes) {
          expect(note, step.id).toBeDefined();
          for (const [name, skewUs] of [['ahead', 5_000_000], ['behind', -3_000_000]] as const) {
            const clock = clockOf(note!, name);
            // The note rounds to the µs: the true offset lies within the bound, give or take that rounding.
            expect(Math.abs(clock.offsetUs - skewUs), `${step.id} ${name}`).toBeLessThanOrEqual(clock.uncertaintyUs + 1);
          }
        }
        const { delivery, latency } = step.metrics;
        expect(delivery!.delivered).toBe(delivery!.expected);
        expect(delivery).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
        // Stamps left on an agent's own clock would be seconds off, one way or the other (latencies in µs).
        expect(latency!.p50.median).toBeGreaterThan(0);
        expect(latency!.max.median).toBeLessThan(1_000_000);
      }
    },
  );

  it.runIf(redisSuiteRuns('joined agents') && namespaceRuns)(
    'an agent in a network namespace of its own, as on another host, reaches the servers at --server-host over a veth pair and measures every delivery',
    { timeout: 180_000 },
    async () => {
      // The namespace's end of the veth is the agent's only way out: no loopback to the servers. Redis it reaches
      // through the private redis-server's Unix socket (a file, which namespaces do not hide).
      const namespace = LossNamespace.create(0, 0);
      try {
        const out = path.join(dir, 'other-host.json');
        const run = start(['run', '--profile', 'smoke', '--transports', 'ws', '--scenarios', 'push', '--client-runtime', 'node', '--repeats', '1', '--feed', 'redis', '--join-agents', '1', '--server-host', namespace.hostAddress, '--quiet', '--out', out]);
        const url = await waitFor(() => /agent --join (unix:\/\/\/\S+redis\.sock)/.exec(run.stderr())?.[1], "join URL in the run's stderr");
        const agent = start(['agent', '--join', url, '--name', 'elsewhere'], process.env, namespace.exec);
        const [runCode, agentCode] = await Promise.all([run.exited, agent.exited]);
        expect(runCode, run.stderr()).toBe(0);
        expect(agentCode, agent.stderr()).toBe(0);
        const results = readResults(out);
        expect(results.method.network).toMatch(new RegExp(`listened on ${namespace.hostAddress.replaceAll('.', '\\.')} \\(--server-host\\)`));
        for (const step of results.steps) {
          if (step.status !== 'ok') throw new Error(`${step.id}: ${JSON.stringify(step)}`);
          expect(step.notes.join(' ')).toMatch(/clients in 1 load agents/);
          expect(step.metrics.delivery).toMatchObject({ delivered: step.metrics.delivery!.expected, lost: 0, duplicated: 0, outOfOrder: 0 });
          expect(step.metrics.delivery!.expected).toBeGreaterThan(0);
        }
      } finally {
        namespace.destroy();
      }
    },
  );
});
