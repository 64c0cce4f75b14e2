import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../bench/config/config.ts';
import { buildPlan } from '../../../bench/run/plan.ts';
import { SCENARIO_REGISTRY } from '../../../bench/scenarios/registry.ts';

describe('the plan under --rtt', () => {
  const plan = (overrides: Parameters<typeof resolveConfig>[1]) =>
    buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['ws', 'short-polling'], scenarios: ['push', 'hostile', 'http-overhead'], ...overrides }), SCENARIO_REGISTRY);

  it('sweeps the network-capable steps over the round trips; rtt 0 keeps its loopback id', () => {
    const ids = plan({ rttMs: [0, 40] }).map((s) => s.id);
    expect(ids).toContain('push/ws/rate=200/clients=4/payload=64');
    expect(ids).toContain('push/ws/rate=200/clients=4/payload=64/rtt=40');
    expect(ids).toContain('push/short-polling/rate=200/clients=4/payload=64/poll=100/rtt=40');
    // hostile's corpus and http-overhead's autocannon run once, over loopback.
    expect(ids.filter((id) => id.startsWith('hostile/ws'))).toEqual(['hostile/ws']);
    expect(ids.filter((id) => id.includes('rtt=') && !id.startsWith('push/'))).toEqual([]);
  });

  it('puts the conditions in params, the id and the step network', () => {
    const step = plan({ rttMs: [40], jitterMs: 5, bandwidth: '10mbit' }).find((s) => s.id.startsWith('push/ws/'))!;
    expect(step.id).toBe('push/ws/rate=200/clients=4/payload=64/rtt=40/jitter=5/bw=10mbit');
    expect(step.params).toMatchObject({ rttMs: 40, jitterMs: 5, bandwidth: '10mbit' });
    expect(step.network).toEqual({ rttMs: 40, jitterMs: 5, bytesPerMs: 1_250 });
  });

  it('a bandwidth alone emulates a network at rtt 0', () => {
    const step = plan({ bandwidth: '1mbps' }).find((s) => s.id.startsWith('push/ws/'))!;
    expect(step.id).toBe('push/ws/rate=200/clients=4/payload=64/rtt=0/bw=1mbps');
    expect(step.network).toEqual({ rttMs: 0, jitterMs: 0, bytesPerMs: 1_000 });
  });

  it('sweeps the HTTP transports over header sets; raw TCP and the loopback-only scenarios run once', () => {
    const steps = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['long-polling', 'tcp'], scenarios: ['push', 'hostile'], requestHeaders: ['minimal', 'browser'], cookieBytes: 500 }), SCENARIO_REGISTRY);
    const ids = steps.map((s) => s.id);
    expect(ids).toContain('push/long-polling/rate=200/clients=4/payload=64/cookie=500');
    expect(ids).toContain('push/long-polling/rate=200/clients=4/payload=64/headers=browser/cookie=500');
    expect(ids.filter((id) => id.startsWith('push/tcp/'))).toEqual(['push/tcp/rate=200/clients=4/payload=64']);
    expect(ids.filter((id) => id.startsWith('hostile/'))).toEqual(['hostile/long-polling', 'hostile/tcp']);
    const browser = steps.find((s) => s.id.includes('headers=browser'))!;
    expect(browser.requestHeaders?.name).toBe('browser');
    expect(browser.requestHeaders?.fetch.at(-1)).toEqual(['Cookie', expect.stringMatching(/^tb=x+$/)]);
  });

  it('minimal headers and no cookie keep the loopback ids of the baseline', () => {
    const steps = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['long-polling'], scenarios: ['push'] }), SCENARIO_REGISTRY);
    expect(steps.map((s) => s.id)).toEqual(['push/long-polling/rate=200/clients=4/payload=64']);
    expect(steps[0]!.requestHeaders).toBeUndefined();
  });

  it('quick: one round trip and the browser headers, apart, for push and connect at their first step only', () => {
    const ids = buildPlan(resolveConfig('quick'), SCENARIO_REGISTRY).map((s) => s.id);
    const conditioned = ids.filter((id) => /\/(rtt|headers|mode|binary|runtime)=/.test(id));
    // push and connect: 6 transports at rtt=50, the 5 HTTP ones with browser headers, Socket.IO websocket-only
    // (24 steps); push alone: 6 transports with binary payloads, 6 with the clients in Chromium (raw TCP's marked).
    expect(conditioned).toHaveLength(36);
    expect(conditioned.filter((id) => id.endsWith('/runtime=browser'))).toEqual(expect.arrayContaining(['push/ws/rate=100/clients=10/payload=64/runtime=browser', 'push/tcp/rate=100/clients=10/payload=64/runtime=browser']));
    expect(conditioned.filter((id) => id.endsWith('/runtime=browser'))).toHaveLength(6);
    expect(conditioned.filter((id) => id.includes('/binary=true'))).toEqual(expect.arrayContaining(['push/tcp/rate=100/clients=10/payload=64/binary=true', 'push/short-polling/rate=100/clients=10/payload=64/poll=100/binary=true']));
    expect(conditioned.filter((id) => id.includes('/binary=true'))).toHaveLength(6);
    expect(conditioned).toContain('push/socket-io/rate=100/clients=10/payload=64/mode=websocket');
    expect(conditioned).toContain('connect/socket-io/clients=100/mode=websocket');
    expect(conditioned.every((id) => /^(push|connect)\//.test(id))).toBe(true);
    expect(conditioned).toContain('push/ws/rate=100/clients=10/payload=64/rtt=50');
    expect(conditioned).toContain('push/long-polling/rate=100/clients=10/payload=64/headers=browser');
    // Apart: never both at once; and only the first load point of push.
    expect(conditioned.filter((id) => id.includes('rtt=') && id.includes('headers='))).toEqual([]);
    expect(conditioned.filter((id) => id.includes('rate=1000'))).toEqual([]);
  });

  it('by default every combination: --rtt 0,40 with --request-headers minimal,browser makes four variants of an HTTP step', () => {
    const ids = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['long-polling'], scenarios: ['push'], rttMs: [0, 40], requestHeaders: ['minimal', 'browser'] }), SCENARIO_REGISTRY).map((s) => s.id);
    expect(ids).toEqual([
      'push/long-polling/rate=200/clients=4/payload=64',
      'push/long-polling/rate=200/clients=4/payload=64/headers=browser',
      'push/long-polling/rate=200/clients=4/payload=64/rtt=40',
      'push/long-polling/rate=200/clients=4/payload=64/rtt=40/headers=browser',
    ]);
  });

  it('--payload-encoding text,binary: the binary variant reaches the fan-out steps, on the same server', () => {
    const steps = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['ws'], scenarios: ['push', 'connect'], payloadEncoding: ['text', 'binary'] }), SCENARIO_REGISTRY);
    expect(steps.map((s) => s.id)).toEqual(['push/ws/rate=200/clients=4/payload=64', 'push/ws/rate=200/clients=4/payload=64/binary=true', 'connect/ws/clients=10']);
    expect(steps[1]!.server).toEqual(steps[0]!.server);
    expect(steps[0]!.binary).toBeUndefined();
    expect(steps[1]!.binary).toBe(true);
    expect(steps[1]!.params.binary).toBe(true);
    // The other way round: a binary server's text variant has no binary part.
    const text = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['ws'], scenarios: ['push'], payloadEncoding: ['binary', 'text'] }), SCENARIO_REGISTRY);
    expect(text.map((s) => s.id)).toEqual(['push/ws/rate=200/clients=4/payload=64/binary=true', 'push/ws/rate=200/clients=4/payload=64']);
    expect(text[1]!.server.binary).toBe(true);
    expect(text[1]!.binary).toBe(false);
  });

  it('--binary makes every step binary and replaces the profile\'s encodings; with a text list it is refused', () => {
    const config = resolveConfig('quick', { binary: true });
    expect(config.payloadEncoding).toEqual(['binary']);
    const ids = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['sse'], scenarios: ['push'], binary: true }), SCENARIO_REGISTRY).map((s) => s.id);
    expect(ids).toEqual(['push/sse/rate=200/clients=4/payload=64/binary=true']);
    expect(() => resolveConfig('smoke', { clientRuntime: ['node'], binary: true, payloadEncoding: ['text', 'binary'] })).toThrow(/--binary.*--payload-encoding text,binary/);
    expect(() => resolveConfig('smoke', { clientRuntime: ['node'], payloadEncoding: ['binary', 'binary'] })).toThrow(/--payload-encoding.*twice/);
  });

  it('a payload sweep runs at the first rate and client count only', () => {
    const ids = buildPlan(resolveConfig('smoke', { clientRuntime: ['node'], transports: ['ws'], scenarios: ['push'], rate: [100, 1000], clients: [4, 8], payload: [64, 65_536] }), SCENARIO_REGISTRY).map((s) => s.id);
    expect(ids).toEqual([
      'push/ws/rate=100/clients=4/payload=64',
      'push/ws/rate=100/clients=4/payload=65536',
      'push/ws/rate=100/clients=8/payload=64',
      'push/ws/rate=1000/clients=4/payload=64',
      'push/ws/rate=1000/clients=8/payload=64',
    ]);
  });
});

