import type { ResolvedConfig } from '../config/config.ts';
import type { AnyScenario, ScenarioName, StepParams, StepPlan } from '../scenarios/scenario.ts';
import { conditionsOf, stepId, type Conditions } from '../scenarios/step-id.ts';
import { bytesPerMsOf, type NetworkConditions } from '../network/conditions.ts';
import path from 'node:path';
import { BROWSER_HEADERS_FILE, MINIMAL_HEADERS, readHeaderSet, withCookie, type RequestHeaders } from '../../clients/request-headers.ts';
import { transportFacts } from '../../protocol/transports.ts';

/**
 * The plan: for each transport in config order, for each scenario in config order, the scenario's steps,
 * each with its id built from its parameters and the conditions it runs under. A step's parameters are
 * checked against its scenario's schema here, once: a plan that breaks them is a bug in the harness.
 */

export type ScenarioSet = Partial<Record<ScenarioName, AnyScenario>>;

/** An absent optional parameter is left out, as the results store parameters. */
function present(params: StepParams): Record<string, number | string | boolean> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as Record<string, number | string | boolean>;
}

/**
 * The networks of the run, one per --rtt value: undefined for straight to loopback (rtt 0 with no jitter and
 * no bandwidth limit, so such a step keeps the id it always had), else the conditions the proxy applies.
 */
function networksOf(config: ResolvedConfig): (NetworkConditions | undefined)[] {
  const bytesPerMs = bytesPerMsOf(config.bandwidth);
  return config.rttMs.flatMap((rttMs) =>
    config.lossPercent.map((lossPercent) =>
      rttMs === 0 && lossPercent === 0 && config.jitterMs === 0 && bytesPerMs === Infinity
        ? undefined
        : { rttMs, jitterMs: config.jitterMs, bytesPerMs, ...(lossPercent > 0 ? { lossPercent } : {}) },
    ),
  );
}

interface ConditionVariant {
  network?: NetworkConditions;
  headers?: RequestHeaders;
}

/**
 * Every combination of the run's networks and header sets (undefined: loopback, minimal headers), or with
 * --conditions-apart one condition at a time: each network with minimal headers, then each header set on
 * loopback (the first of each list stands for "the default" when it is not).
 */
function conditionVariants(config: ResolvedConfig, http: boolean): ConditionVariant[] {
  const networks = networksOf(config);
  const headerSets = http ? headerSetsOf(config) : [undefined];
  if (!config.conditionsApart) return networks.flatMap((network) => headerSets.map((headers) => ({ network, headers })));
  const variants: ConditionVariant[] = networks.map((network) => ({ network, headers: headerSets[0] }));
  for (const headers of headerSets.slice(1)) variants.push({ network: networks[0], headers });
  return variants;
}

/** The network's conditions as step parameters (and id parts: rtt, jitter, bw). */
function networkConditionsOf(network: NetworkConditions, config: ResolvedConfig): Conditions {
  return {
    rttMs: network.rttMs,
    ...(network.jitterMs > 0 ? { jitterMs: network.jitterMs } : {}),
    ...(config.bandwidth !== undefined ? { bandwidth: config.bandwidth } : {}),
    ...(network.lossPercent ? { lossPercent: network.lossPercent } : {}),
  };
}

/**
 * The header sets of the run, one per --request-headers value, each with the --cookie-bytes Cookie: undefined
 * for minimal headers and no cookie, so such a step keeps the id it always had.
 */
function headerSetsOf(config: ResolvedConfig): (RequestHeaders | undefined)[] {
  return config.requestHeaders.map((name) => {
    if (name === 'minimal' && config.cookieBytes === 0) return undefined;
    const set = name === 'minimal' ? MINIMAL_HEADERS : name === 'browser' ? readHeaderSet(BROWSER_HEADERS_FILE, 'browser') : readHeaderSet(name, path.basename(name, '.json'));
    return withCookie(set, config.cookieBytes);
  });
}

/** The header set as step parameters (and id parts: headers, cookie). */
function headerConditionsOf(headers: RequestHeaders, config: ResolvedConfig): Conditions {
  return { ...(headers.name !== 'minimal' ? { requestHeaders: headers.name } : {}), ...(config.cookieBytes > 0 ? { cookieBytes: config.cookieBytes } : {}) };
}

export function buildPlan(config: ResolvedConfig, scenarios: ScenarioSet): StepPlan[] {
  const steps: StepPlan[] = [];
  for (const transport of config.transports) {
    for (const name of config.scenarios) {
      const scenario = scenarios[name];
      if (!scenario) {
        // Still a row, so the missing scenario shows up as an errored step.
        steps.push({ id: `${name}/${transport}`, scenario: name, transport, params: {}, server: { transport } });
        continue;
      }
      // The conditions reach the scenarios that can take them and the run names (--condition-scenarios).
      const conditioned = scenario.network !== false && (config.conditionScenarios as readonly string[]).includes(name);
      // Headers matter to the HTTP transports' own clients only; raw TCP sends none.
      const variants = conditioned ? conditionVariants(config, transportFacts(transport).http) : [{}];
      for (const [index, planned] of scenario.plan(config, transport).entries()) {
        const checked = scenario.params.safeParse(planned.params);
        if (!checked.success) throw new Error(`the ${name} scenario planned a step with bad parameters: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        // --conditions-first-step: the first step each scenario plans (its first load point) only.
        for (const { network, headers } of config.conditionsFirstStep && index > 0 ? [{}] : variants) {
          const params = present({
            ...planned.params,
            ...conditionsOf(planned.server),
            ...(network ? networkConditionsOf(network, config) : {}),
            ...(headers ? headerConditionsOf(headers, config) : {}),
          });
          const step: StepPlan = { id: stepId(name, transport, params, scenario.id), scenario: name, transport, params, server: planned.server };
          if (planned.repeats !== undefined) step.repeats = planned.repeats;
          if (network) step.network = network;
          if (headers) step.requestHeaders = headers;
          steps.push(step);
        }
        // Socket.IO's other modes (--socket-io-transports polling-upgrade,websocket), once each, on loopback.
        if (transport === 'socket-io' && conditioned && !(config.conditionsFirstStep && index > 0)) {
          for (const mode of config.socketIoTransports.slice(1)) {
            const server = { ...planned.server, socketIoTransports: mode };
            const params = present({ ...planned.params, ...conditionsOf(server) });
            const step: StepPlan = { id: stepId(name, transport, params, scenario.id), scenario: name, transport, params, server };
            if (planned.repeats !== undefined) step.repeats = planned.repeats;
            steps.push(step);
          }
        }
      }
    }
  }
  return steps;
}
