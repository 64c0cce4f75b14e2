import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../bench/config/config.ts';
import { flagOf, RUN_OPTIONS } from '../../bench/config/options.ts';
import { PROFILE_DEFAULTS } from '../../bench/config/profiles.ts';
import { parseRunArgs, resolveRunConfig, runHelp } from '../../bin/run-options.ts';

function resolve(argv: string[]) {
  const parsed = parseRunArgs(argv);
  if (parsed.help) throw new Error('unexpected help');
  return resolveRunConfig(parsed);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tb-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('#parseRunArgs', () => {
  it('defaults to the quick profile', () => {
    expect(resolve([])).toMatchObject({ profile: 'quick', ...PROFILE_DEFAULTS.quick });
  });

  it('reads lists, numbers, strings and flags', () => {
    const config = resolve(['--profile', 'smoke', '--transports', 'ws,tcp', '--clients=10,50', '--rate', '1_000', '--duration', '900', '--sla', '250', '--quiet', '--busy-poll', '--out', 'r.json']);
    expect(config).toMatchObject({ profile: 'smoke', transports: ['ws', 'tcp'], clients: [10, 50], rate: [1000], durationMs: 900, slaP95Ms: 250, quiet: true, busyPoll: true, out: 'r.json' });
    expect(config.repeats).toBe(PROFILE_DEFAULTS.smoke.repeats);
  });

  it('reaches every config option from the command line', () => {
    const keys = Object.keys(configSchema.shape).filter((k) => k !== 'profile').sort();
    expect(Object.keys(RUN_OPTIONS).sort()).toEqual(keys);
    for (const key of keys) expect(runHelp()).toContain(flagOf(key));
  });

  it('rejects --rate -5, naming --rate', () => {
    expect(() => resolve(['--rate', '-5'])).toThrow(expect.objectContaining({ code: 'BENCH_ERR_BAD_OPTION' }));
    expect(() => resolve(['--rate', '-5'])).toThrow(/--rate/);
  });

  it('reads the network conditions: --rtt as a sweep, --jitter, --bandwidth as tc spells rates', () => {
    expect(resolve(['--rtt', '0,40', '--jitter', '5', '--bandwidth', '10mbit', '--loss', '0,1'])).toMatchObject({ rttMs: [0, 40], jitterMs: 5, bandwidth: '10mbit', lossPercent: [0, 1] });
    expect(resolve(['--profile', 'smoke'])).toMatchObject({ rttMs: [0], lossPercent: [0], jitterMs: 0, requestHeaders: ['minimal'], cookieBytes: 0 });
    expect(resolve(['--condition-scenarios', 'push', '--conditions-first-step', '--conditions-apart'])).toMatchObject({ conditionScenarios: ['push'], conditionsFirstStep: true, conditionsApart: true });
  });

  it.each([
    [['--rtt', '-5'], /invalid option --rtt \(item 0\): Too small/],
    [['--rtt', '20000'], /invalid option --rtt \(item 0\): Too big/],
    [['--jitter', '-1'], /invalid option --jitter: Too small/],
    [['--bandwidth', '10 parsecs'], /invalid option --bandwidth: expected a number and a unit/],
    [['--bandwidth', '10', 'parsecs'], /invalid option --bandwidth: '10 parsecs' is two words/],
    [['--bandwidth', '0mbit'], /invalid option --bandwidth: a rate must be above 0/],
    [['--request-headers', 'no-such-file.json'], /invalid option --request-headers \(item 0\): not minimal, browser or a readable header set file/],
    [['--cookie-bytes', '-1'], /invalid option --cookie-bytes: Too small/],
    [['--loss', '150'], /invalid option --loss \(item 0\): Too big: expected number to be <=50/],
    [['--loss', '-1'], /invalid option --loss \(item 0\): Too small/],
  ])('rejects %j, naming the flag', (argv, message) => {
    expect(() => resolve(argv)).toThrow(expect.objectContaining({ code: 'BENCH_ERR_BAD_OPTION' }));
    expect(() => resolve(argv)).toThrow(message);
  });

  it('rejects a rate that is not a number, naming --rate and what it accepts', () => {
    expect(() => parseRunArgs(['--rate', 'fast'])).toThrow(/invalid option --rate: 'fast' is not a number; it accepts positive integers/);
  });

  it('rejects --transports carrier-pigeon, listing the transports', () => {
    expect(() => resolve(['--transports', 'carrier-pigeon'])).toThrow(/--transports.*short-polling/);
  });

  it('rejects an unknown flag by name, suggesting a close one', () => {
    expect(() => parseRunArgs(['--rat', '5'])).toThrow(/unknown option --rat \(did you mean --rate\?\)/);
    expect(() => parseRunArgs(['--frobnicate'])).toThrow(/unknown option --frobnicate;/);
  });

  it('rejects an unknown profile and a missing value', () => {
    expect(() => parseRunArgs(['--profile', 'huge'])).toThrow(/--profile: 'huge'; expected one of smoke, quick, full/);
    expect(() => parseRunArgs(['--repeats'])).toThrow(/--repeats needs a value/);
  });

  it('answers --help', () => {
    expect(parseRunArgs(['--rate', '5', '--help'])).toEqual({ help: true });
  });
});

describe('#resolveRunConfig with --config', () => {
  it('takes keys and the profile from the file, the command line winning', () => {
    const file = path.join(dir, 'bench.json');
    writeFileSync(file, JSON.stringify({ profile: 'smoke', rate: [300], repeats: 4, idleMs: 500 }));
    expect(resolve(['--config', file, '--repeats', '1'])).toMatchObject({ profile: 'smoke', rate: [300], repeats: 1, idleMs: 500, durationMs: PROFILE_DEFAULTS.smoke.durationMs });
  });

  it('rejects an unknown key, a bad value and a corrupt file, naming the file', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ rat: [300] }));
    expect(() => resolve(['--config', file])).toThrow(/bad\.json has unknown key 'rat'; accepted keys: profile, transports/);
    writeFileSync(file, JSON.stringify({ rate: [-1] }));
    expect(() => resolve(['--config', file])).toThrow(/in config file .*bad\.json: invalid option --rate/);
    writeFileSync(file, '{ "rate": [');
    expect(() => resolve(['--config', file])).toThrow(/bad\.json is not valid JSON/);
    expect(() => resolve(['--config', path.join(dir, 'missing.json')])).toThrow(/no such file/);
  });
});
