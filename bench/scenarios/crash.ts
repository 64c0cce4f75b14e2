import { restartParams, runRestartRepeat, type RestartParams } from './restart-epochs.ts';
import { FAULT_ID, faultSteps } from './fault-common.ts';
import { defineScenario } from './scenario.ts';

/**
 * crash: the server process is SIGKILLed and a fresh one listens on the same port after `downtimeMs`.
 * The feed lives in memory, so its log dies with the process and the new feed numbers each room from 1
 * again: the clients' cursors are then beyond the rooms' heads, which the servers answer as a reset
 * (docs/protocol.md, "Resuming after a server restart") and the clients follow. Accounted in two epochs
 * (restart-epochs.ts). With several nodes (run --nodes) node 0 is the one killed.
 */
export const crashParams = restartParams;
export type CrashParams = RestartParams;

export const crash = defineScenario({
  name: 'crash',
  params: crashParams,
  id: FAULT_ID,

  plan(config, transport) {
    // After a crash Socket.IO has no session to recover whatever its setting: one step, recovery on.
    return faultSteps<CrashParams>(config, transport, { bothRecoveries: false, extra: { downtimeMs: config.crashDowntimeMs } });
  },

  runRepeat(ctx) {
    const { server } = ctx;
    return runRestartRepeat(ctx, {
      name: 'crash',
      // The replacement process loads while the clients connect: its start-up is not part of the outage.
      prepare: () => server.prepareCrash(),
      restart: (downtimeMs) => server.crash({ downtimeMs }),
      lostBefore: 'still in flight (or not yet polled) when the process died, and the in-memory log died with it',
      outage: 'the server was down',
    });
  },
});
