import type { AnyScenario, ScenarioName } from './scenario.ts';
import { capacity } from './capacity.ts';
import { ceiling } from './ceiling.ts';
import { chat } from './chat.ts';
import { connect } from './connect.ts';
import { crash } from './crash.ts';
import { drop } from './drop.ts';
import { hostile } from './hostile.ts';
import { httpOverhead } from './http-overhead.ts';
import { idle } from './idle.ts';
import { nodeKill } from './node-kill.ts';
import { push } from './push.ts';
import { redisRestart } from './redis-restart.ts';
import { rtt } from './rtt.ts';
import { slowConsumer } from './slow-consumer.ts';

/** Every scenario by name; the runner plans and runs steps through it. */
export const SCENARIO_REGISTRY: Record<ScenarioName, AnyScenario> = {
  push,
  chat,
  rtt,
  connect,
  idle,
  capacity,
  ceiling,
  'http-overhead': httpOverhead,
  drop,
  crash,
  'node-kill': nodeKill,
  'redis-restart': redisRestart,
  'slow-consumer': slowConsumer,
  hostile,
};
