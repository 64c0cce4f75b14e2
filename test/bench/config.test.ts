import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../bench/config/config.ts';
import { flagOf } from '../../bench/config/options.ts';
import { PROFILE_DEFAULTS, PROFILES } from '../../bench/config/profiles.ts';

describe('#resolveConfig', () => {
  it.each(PROFILES)('gives the %s profile its defaults', (profile) => {
    const config = resolveConfig(profile);
    expect(config).toEqual({ profile, quiet: false, busyPoll: false, binary: false, longPollTimeoutMs: 25_000, ...PROFILE_DEFAULTS[profile] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('sizes the profiles from small to large', () => {
    const work = (p: (typeof PROFILES)[number]) => PROFILE_DEFAULTS[p].durationMs * PROFILE_DEFAULTS[p].repeats;
    expect(work('smoke')).toBeLessThan(work('quick'));
    expect(work('quick')).toBeLessThan(work('full'));
  });

  it('applies overrides in order, the last one winning', () => {
    const config = resolveConfig('quick', { rate: [500], repeats: 5 }, { repeats: 7, out: 'x.json' });
    expect(config).toMatchObject({ profile: 'quick', rate: [500], repeats: 7, out: 'x.json', clients: PROFILE_DEFAULTS.quick.clients });
  });

  it('rejects a negative rate, naming --rate', () => {
    expect(() => resolveConfig('quick', { rate: [-5] })).toThrow(expect.objectContaining({ code: 'BENCH_ERR_BAD_OPTION' }));
    expect(() => resolveConfig('quick', { rate: [-5] })).toThrow(/invalid option --rate/);
  });

  it('rejects an unknown transport, naming --transports and what it accepts', () => {
    expect(() => resolveConfig('quick', { transports: ['carrier-pigeon' as 'ws'] })).toThrow(/--transports.*"ws"/);
  });

  it('names options by their command-line flags', () => {
    expect(() => resolveConfig('quick', { durationMs: 0 })).toThrow(/--duration/);
    expect(() => resolveConfig('quick', { slaP95Ms: -1 })).toThrow(/--sla\b/);
    expect(flagOf('chatRatePerClient')).toBe('--chat-rate-per-client');
  });

  it('rejects an unknown key', () => {
    expect(() => resolveConfig('quick', { nope: 1 } as never)).toThrow(/nope/);
  });
});
