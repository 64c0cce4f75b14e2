import type { Scenario, ScenarioName } from '../scenario.ts';
import { capacity } from './capacity.ts';
import { chat } from './chat.ts';
import { connect } from './connect.ts';
import { httpOverhead } from './http-overhead.ts';
import { idle } from './idle.ts';
import { push } from './push.ts';
import { rtt } from './rtt.ts';

/** Every scenario by name; the runner plans and runs steps through it. */
export const SCENARIO_REGISTRY: Record<ScenarioName, Scenario> = {
  push,
  chat,
  rtt,
  connect,
  idle,
  capacity,
  'http-overhead': httpOverhead,
};
