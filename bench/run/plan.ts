import type { ResolvedConfig } from '../config/config.ts';
import type { AnyScenario, PlannedStep, ScenarioName, StepParams, StepPlan } from '../scenarios/scenario.ts';
import { conditionsOf, stepId, type Conditions } from '../scenarios/step-id.ts';
import { bytesPerMsOf, type NetworkConditions } from '../network/conditions.ts';
import path from 'node:path';
import { BROWSER_HEADERS_FILE, MINIMAL_HEADERS, readHeaderSet, withCookie, type RequestHeaders } from '../../clients/request-headers.ts';
import { transportFacts, type TransportName } from '../../protocol/transports.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { DEFAULT_CLIENTS_PER_HOST } from '../browser/clients-per-host.ts';

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
  /** Server start options this variant changes (Socket.IO's other modes). */
  server?: Pick<ServerStartOptions, 'socketIoTransports'>;
  /** The payload encoding of the step's schedules (the other --payload-encoding), on the same server. */
  binary?: boolean;
  /** Where the clients run (the other --client-runtime). */
  runtime?: 'node' | 'browser';
}

/**
 * The variants a conditioned step runs in: every combination of the run's networks and header sets
 * (undefined: loopback, minimal headers), or with --conditions-apart one condition at a time (each network
 * with the first header set, then each other header set on the first network); then, for Socket.IO, each of
 * its other modes (--socket-io-transports polling-upgrade,websocket) once, on loopback; then each other payload
 * encoding (--payload-encoding text,binary) once, on loopback and the same server (scenarios with `encodings`).
 */
function conditionVariants(
  config: ResolvedConfig,
  networks: readonly (NetworkConditions | undefined)[],
  headerSets: readonly (RequestHeaders | undefined)[],
  transport: TransportName,
): ConditionVariant[] {
  const variants: ConditionVariant[] = config.conditionsApart
    ? [...networks.map((network) => ({ network, headers: headerSets[0] })), ...headerSets.slice(1).map((headers) => ({ network: networks[0], headers }))]
    : networks.flatMap((network) => headerSets.map((headers) => ({ network, headers })));
  if (transport === 'socket-io') variants.push(...config.socketIoTransports.slice(1).map((mode) => ({ server: { socketIoTransports: mode } })));
  variants.push(...config.payloadEncoding.slice(1).map((encoding) => ({ binary: encoding === 'binary' })));
  variants.push(...config.clientRuntime.slice(1).map((runtime) => ({ runtime })));
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
  // Once per plan: the header set files are read here, not per scenario and transport.
  const networks = networksOf(config);
  const headerSets = headerSetsOf(config);
  for (const transport of config.transports) {
    // Headers matter to the HTTP transports' own clients only; raw TCP sends none.
    const variants = conditionVariants(config, networks, transportFacts(transport).http ? headerSets : [undefined], transport);
    for (const name of config.scenarios) {
      const scenario = scenarios[name];
      if (!scenario) {
        // Still a row, so the missing scenario shows up as an errored step.
        steps.push({ id: `${name}/${transport}`, scenario: name, transport, params: {}, server: { transport } });
        continue;
      }
      // The conditions reach the scenarios that can take them and the run names (--condition-scenarios).
      const conditioned = scenario.network !== false && (config.conditionScenarios as readonly string[]).includes(name);
      for (const [index, planned] of scenario.plan(config, transport).entries()) {
        const checked = scenario.params.safeParse(planned.params);
        if (!checked.success) throw new Error(`the ${name} scenario planned a step with bad parameters: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        // --conditions-first-step: the first step each scenario plans (its first load point) only.
        const reached = conditioned && !(config.conditionsFirstStep && index > 0);
        const applicable = variants.filter((v) => (v.binary === undefined || scenario.encodings === true) && (v.runtime === undefined || scenario.browser === true));
        // Every step at each node count of the run (--nodes 1,2,4), those the scenario can run at.
        const nodeCounts = config.nodes.filter((nodes) => nodes >= (scenario.minNodes ?? 1));
        for (const nodes of nodeCounts) for (const variant of reached ? applicable : [{}]) steps.push(variantStep(name, transport, scenario, planned, variant, config, nodes));
      }
    }
  }
  return steps;
}

/** One step of the plan: the scenario's planned step under a variant of the run's conditions. */
function variantStep(name: ScenarioName, transport: TransportName, scenario: AnyScenario, planned: PlannedStep<StepParams>, variant: ConditionVariant, config: ResolvedConfig, nodes: number): StepPlan {
  const { network, headers } = variant;
  const runtime = variant.runtime ?? config.clientRuntime[0]!;
  // Every server also serves browser clients (servers/build-server.ts): a browser step shares the Node step's.
  const server = { ...planned.server, ...variant.server };
  const params = present({
    ...planned.params,
    ...conditionsOf(server),
    ...(network ? networkConditionsOf(network, config) : {}),
    ...(headers ? headerConditionsOf(headers, config) : {}),
    // The other encoding: binary=true in the id, or no binary part on a binary server's text variant.
    ...(variant.binary !== undefined ? { binary: variant.binary ? true : undefined } : {}),
    ...(runtime === 'browser' ? { clientRuntime: 'browser', ...(config.browserClientsPerHost !== DEFAULT_CLIENTS_PER_HOST ? { browserClientsPerHost: config.browserClientsPerHost } : {}) } : {}),
    // Every step of the run shares the run's feed and node count; the defaults (memory, 1) leave ids as they were.
    ...(config.feed !== 'memory' ? { feed: 'redis' } : {}),
    ...(nodes > 1 ? { nodes } : {}),
  });
  const step: StepPlan = { id: stepId(name, transport, params, scenario.id), scenario: name, transport, params, server };
  if (planned.repeats !== undefined) step.repeats = planned.repeats;
  if (planned.timeoutMs !== undefined && planned.timeoutMs > config.stepTimeoutMs) step.timeoutMs = planned.timeoutMs;
  if (network) step.network = network;
  if (headers) step.requestHeaders = headers;
  if (variant.binary !== undefined) step.binary = variant.binary;
  if (runtime === 'browser') step.runtime = 'browser';
  if (nodes > 1) step.nodes = nodes;
  return step;
}
