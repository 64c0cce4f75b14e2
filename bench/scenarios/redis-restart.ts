import { FAULT_ID, faultSteps } from './fault-common.ts';
import { restartParams, runRestartRepeat, type RestartParams } from './restart-epochs.ts';
import { defineScenario } from './scenario.ts';

/**
 * redis-restart (run --feed redis, the run's private redis-server only): Redis is SIGKILLed mid-step and started
 * again, empty, on the same socket after `downtimeMs`. The servers' feed connections reconnect by themselves;
 * each node then finds a new feed epoch, clears its replica and drops its clients, who come back with cursors
 * beyond the new feed's heads and are told to reset (docs/scale.md, "Redis restarting"). Publishes made while
 * Redis was away wait in the servers' client queue. Accounted in two epochs like crash (restart-epochs.ts): what
 * was published before the kill and not yet delivered is lost with Redis's memory; after it, nothing may be.
 */
export const redisRestart = defineScenario({
  name: 'redis-restart',
  params: restartParams,
  id: FAULT_ID,

  plan(config, transport) {
    // Only a Redis the run started itself may be killed: never one a --feed URL names.
    if (config.feed !== 'redis') return [];
    return faultSteps<RestartParams>(config, transport, { bothRecoveries: false, extra: { downtimeMs: config.crashDowntimeMs } });
  },

  runRepeat(ctx) {
    const feed = ctx.feed;
    if (!feed) throw new Error("redis-restart needs the run's own redis-server (run --feed redis)");
    return runRestartRepeat(ctx, {
      name: 'redis-restart',
      restart: (downtimeMs) => feed.restart({ downtimeMs }),
      lostBefore: 'not yet delivered when Redis died, and Redis kept nothing',
      outage: 'Redis was down and the servers dropped their clients',
    });
  },
});
