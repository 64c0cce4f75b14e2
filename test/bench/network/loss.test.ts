import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../bench/config/config.ts';
import { buildPlan } from '../../../bench/run/plan.ts';
import { INSTALL_IPTABLES, lossUnsupportedReason } from '../../../bench/network/loss-namespace.ts';
import { NetworkPaths } from '../../../bench/network/network-path.ts';
import type { StepPlan } from '../../../bench/scenarios/scenario.ts';
import { measureOverNetwork } from '../../helpers/network-step.ts';
import { SCENARIO_REGISTRY } from '../../../bench/scenarios/registry.ts';

/**
 * `--loss`: real TCP loss in a network namespace of our own (root, ip, iptables). Outside CI a machine
 * without them skips this suite loudly, naming what is missing and the install command; under CI=true it is
 * required (.ci/run installs iptables).
 */
const SUITE = 'packet loss in a network namespace (test/bench/network/loss.test.ts)';
const missing = lossUnsupportedReason();
const runs = missing === undefined || process.env.CI === 'true';
if (!runs) process.stderr.write(`\n!!! SKIPPED suite "${SUITE}": --loss ${missing}. Install with: ${INSTALL_IPTABLES} (as root). Under CI=true this suite is required.\n\n`);

const LOSS = 5;
const config = resolveConfig('smoke', { clientRuntime: ['node'], transports: ['ws', 'long-polling'], scenarios: ['push'], durationMs: 600, warmupMs: 100, lossPercent: [LOSS] });
const plan = buildPlan(config, SCENARIO_REGISTRY);
const network = new NetworkPaths();
afterAll(() => network.stop());

const measure = (step: StepPlan) => measureOverNetwork(step, config, network);

describe('--loss', () => {
  it('says at once why it cannot run without root', () => {
    const getuid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      expect(lossUnsupportedReason()).toMatch(/needs root/);
    } finally {
      getuid.mockRestore();
    }
  });

  describe.runIf(runs)(`${LOSS} % of the clients' packets dropped`, { timeout: 60_000 }, () => {
    it('plans loss into the ids', () => {
      expect(plan.map((s) => s.id)).toEqual([`push/ws/rate=200/clients=4/payload=64/rtt=0/loss=${LOSS}`, `push/long-polling/rate=200/clients=4/payload=64/rtt=0/loss=${LOSS}`]);
    });

    it('delivers every message exactly once and in order over ws and long polling while iptables drops packets', async () => {
      if (missing) throw new Error(`CI=true requires this suite: --loss ${missing}; .ci/run installs iptables (${INSTALL_IPTABLES})`);
      for (const step of plan) {
        const metrics = await measure(step);
        expect(metrics.delivery, step.id).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
        expect(metrics.delivery!.delivered, step.id).toBeGreaterThan(0);
      }
      // The loss was real: the kernel's counters say packets were dropped both ways.
      const dropped = network.droppedPackets().get(LOSS)!;
      expect(dropped.in).toBeGreaterThan(0);
      expect(dropped.out).toBeGreaterThan(0);
    });
  });
});
