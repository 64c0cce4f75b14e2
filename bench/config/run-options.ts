import { TRANSPORTS } from '../../protocol/message.ts';
import { SCENARIOS } from '../../results/schema.ts';
import { ConfigError, flagOf, PROFILE_DEFAULTS, PROFILES, resolveConfig, type ConfigInput, type ProfileName, type ResolvedConfig } from './config.ts';
import { readConfigFile } from './config-file.ts';

/**
 * `transport-bench run` argv → ConfigInput. This file only reads the command line (spelling, numbers,
 * lists); the values are validated once, by resolveConfig in bench/config/config.ts.
 */

type Kind = 'numbers' | 'number' | 'strings' | 'string' | 'boolean';

interface OptionSpec {
  kind: Kind;
  /** What the value means, for --help. */
  help: string;
  /** What it accepts, for --help and error messages. */
  accepts: string;
}

type ConfigKey = Exclude<keyof ResolvedConfig, 'profile'>;

/** Every config key reachable from the command line; its flag is flagOf(key). */
export const RUN_OPTIONS: Record<ConfigKey, OptionSpec> = {
  transports: { kind: 'strings', help: 'transports to measure', accepts: `a comma-separated list of ${TRANSPORTS.join(', ')}` },
  scenarios: { kind: 'strings', help: 'scenarios to run', accepts: `a comma-separated list of ${SCENARIOS.join(', ')}` },
  clients: { kind: 'numbers', help: 'subscriber/client counts (a list is a sweep)', accepts: 'positive integers, comma-separated, e.g. 10,50' },
  rate: { kind: 'numbers', help: 'publish rates, messages/s over all rooms (a list is a sweep)', accepts: 'positive integers, comma-separated, e.g. 100,1000' },
  payload: { kind: 'numbers', help: 'payload sizes, bytes (a list is a sweep)', accepts: 'non-negative integers, comma-separated, e.g. 64,1024' },
  rooms: { kind: 'number', help: 'rooms the clients are spread over', accepts: 'a positive integer' },
  durationMs: { kind: 'number', help: 'measured window of each repeat, ms', accepts: 'a positive integer (ms)' },
  warmupMs: { kind: 'number', help: 'warm-up before each measured window, ms', accepts: 'a non-negative integer (ms)' },
  repeats: { kind: 'number', help: 'repeats per step (figures are medians with min–max)', accepts: 'a positive integer' },
  pollIntervalsMs: { kind: 'numbers', help: 'short-polling intervals, ms', accepts: 'positive integers (ms), comma-separated' },
  chatRatePerClient: { kind: 'number', help: 'chat: messages/s sent by each client', accepts: 'a positive number' },
  rttRate: { kind: 'number', help: 'rtt: round trips/s per client', accepts: 'a positive integer' },
  connectClients: { kind: 'number', help: 'connect: clients in one connection storm', accepts: 'a positive integer' },
  idleClients: { kind: 'number', help: 'idle: connections held idle', accepts: 'a positive integer' },
  idleMs: { kind: 'number', help: 'idle: how long they are held, ms', accepts: 'a positive integer (ms)' },
  capacityClients: { kind: 'numbers', help: 'capacity: client counts tried in order until the SLA fails', accepts: 'positive integers, comma-separated' },
  capacityRate: { kind: 'number', help: 'capacity: publish rate during each capacity step, messages/s', accepts: 'a positive integer' },
  slaP95Ms: { kind: 'number', help: 'capacity: the SLA, p95 latency, ms', accepts: 'a positive number (ms)' },
  autocannonConnections: { kind: 'number', help: 'http-overhead: autocannon connections', accepts: 'a positive integer' },
  socketIoTransports: { kind: 'string', help: 'Socket.IO transports', accepts: 'polling-upgrade or websocket' },
  stepTimeoutMs: { kind: 'number', help: 'a step not finished after this long is errored, ms', accepts: 'a positive integer (ms)' },
  faultRepeats: { kind: 'number', help: 'fault scenarios (drop, crash, slow-consumer, hostile): repeats per step', accepts: 'a positive integer' },
  faultClients: { kind: 'number', help: 'drop, crash, slow-consumer: clients', accepts: 'a positive integer' },
  faultRate: { kind: 'number', help: 'drop, crash, slow-consumer: publish rate, messages/s over all rooms', accepts: 'a positive integer' },
  faultDurationMs: { kind: 'number', help: 'drop, crash: publishing time around the fault, ms', accepts: 'a positive integer (ms)' },
  crashDowntimeMs: { kind: 'number', help: 'crash: SIGKILL to the replacement listening, ms', accepts: 'a non-negative integer (ms)' },
  slowConsumerPayloadBytes: { kind: 'number', help: "slow-consumer: payload of the stalled client's messages, bytes", accepts: 'a positive integer' },
  slowConsumerRate: { kind: 'number', help: "slow-consumer: messages/s to the stalled client's room", accepts: 'a positive integer' },
  slowConsumerStallMs: { kind: 'number', help: 'slow-consumer: longest stall waiting for the server to drop the client, ms', accepts: 'a positive integer (ms)' },
  hostileMaxCaseMs: { kind: 'number', help: 'hostile: skip corpus cases that need longer than this, ms', accepts: 'a positive integer (ms)' },
  out: { kind: 'string', help: 'write the results here instead of results/<timestamp>.json and results/latest.json', accepts: 'a file path' },
  quiet: { kind: 'boolean', help: 'no progress bars: one plain line per step', accepts: 'no value' },
  busyPoll: { kind: 'boolean', help: 'the load process never sleeps: no idle-CPU wake-up in latency (its CPU then reads ~100 %)', accepts: 'no value' },
};

const FLAG_TO_KEY = new Map<string, ConfigKey>(Object.keys(RUN_OPTIONS).map((key) => [flagOf(key), key as ConfigKey]));
const OTHER_FLAGS = ['--profile', '--config', '--help', '-h'];

export type ParsedRunArgs = { help: true } | { help: false; profile?: ProfileName; configFile?: string; overrides: ConfigInput };

function parseNumber(flag: string, text: string, accepts: string): number {
  const trimmed = text.trim().replace(/_/g, '');
  const value = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(value)) throw new ConfigError(`invalid option ${flag}: '${text}' is not a number; it accepts ${accepts}`);
  return value;
}

function parseValue(flag: string, spec: OptionSpec, text: string): unknown {
  const items = () => text.split(',').map((item) => item.trim());
  switch (spec.kind) {
    case 'numbers':
      return items().map((item) => parseNumber(flag, item, spec.accepts));
    case 'number':
      return parseNumber(flag, text, spec.accepts);
    case 'strings':
      return items().filter((item) => item !== '');
    case 'string':
      return text;
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new ConfigError(`invalid option ${flag}: '${text}'; it takes no value (or =true / =false)`);
  }
}

/** Levenshtein distance, for "did you mean" on a mistyped flag. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function unknownFlag(flag: string): ConfigError {
  const known = [...FLAG_TO_KEY.keys(), ...OTHER_FLAGS];
  const best = known.map((k) => [k, distance(flag, k)] as const).sort((x, y) => x[1] - y[1])[0];
  const hint = best && best[1] <= 2 ? ` (did you mean ${best[0]}?)` : '';
  return new ConfigError(`unknown option ${flag}${hint}; run 'transport-bench run --help' for the options`);
}

/** Reads `run`'s argv. Throws ConfigError naming the option on an unknown flag, a missing value or a bad number. */
export function parseRunArgs(argv: readonly string[]): ParsedRunArgs {
  const overrides: Record<string, unknown> = {};
  let profile: ProfileName | undefined;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('-')) throw new ConfigError(`unexpected argument '${arg}'; options start with --, e.g. --profile smoke`);
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const key = FLAG_TO_KEY.get(flag);
    if (!key && flag !== '--profile' && flag !== '--config') throw unknownFlag(flag);
    const spec = key ? RUN_OPTIONS[key] : undefined;
    let value = inline;
    if (spec?.kind === 'boolean') value ??= 'true';
    else if (value === undefined) {
      // The next argument is the value even when it starts with '-', so `--rate -5` reaches validation.
      if (i + 1 >= argv.length) throw new ConfigError(`option ${flag} needs a value: ${spec?.accepts ?? (flag === '--profile' ? PROFILES.join(', ') : 'a file path')}`);
      value = argv[++i]!;
    }
    if (flag === '--profile') {
      if (!(PROFILES as readonly string[]).includes(value)) throw new ConfigError(`invalid option --profile: '${value}'; expected one of ${PROFILES.join(', ')}`);
      profile = value as ProfileName;
    } else if (flag === '--config') {
      configFile = value;
    } else {
      overrides[key!] = parseValue(flag, spec!, value);
    }
  }
  return { help: false, profile, configFile, overrides: overrides as ConfigInput };
}

/**
 * The run's config: profile (command line, else the config file, else quick), then the config file, then the
 * command line, validated once. Throws ConfigError naming the option.
 */
export function resolveRunConfig(args: Extract<ParsedRunArgs, { help: false }>): ResolvedConfig {
  const file = args.configFile !== undefined ? readConfigFile(args.configFile) : undefined;
  const profile = args.profile ?? file?.profile ?? 'quick';
  if (file) {
    // Checked alone first, so a bad value from the file is reported as coming from the file.
    try {
      resolveConfig(profile, file.input);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`in config file ${args.configFile}: ${error.message}`);
      throw error;
    }
  }
  return resolveConfig(profile, file?.input ?? {}, args.overrides);
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** `transport-bench run --help`. */
export function runHelp(): string {
  const rows = (Object.entries(RUN_OPTIONS) as [ConfigKey, OptionSpec][]).map(([key, spec]) => {
    const placeholder = spec.kind === 'numbers' || spec.kind === 'strings' ? 'list' : spec.kind === 'number' ? 'n' : key === 'out' ? 'file' : 'value';
    const flag = spec.kind === 'boolean' ? flagOf(key) : `${flagOf(key)} <${placeholder}>`;
    const defaults = key in PROFILE_DEFAULTS.quick ? PROFILES.map((p) => `${p} ${formatDefault(PROFILE_DEFAULTS[p][key as keyof (typeof PROFILE_DEFAULTS)['quick']])}`) : [];
    const uniform = new Set(defaults.map((d) => d.split(' ')[1])).size === 1;
    const shown = defaults.length === 0 ? '' : uniform ? ` [default ${defaults[0]!.split(' ')[1]}]` : ` [${defaults.join(' · ')}]`;
    const accepts = spec.kind === 'boolean' || key === 'out' ? [] : [`  ${''.padEnd(34)}accepts ${spec.accepts}`];
    return [`  ${flag.padEnd(34)}${spec.help}${shown}`, ...accepts];
  });
  return [
    'Usage: transport-bench run [options]',
    '',
    'Runs every scenario against every transport (each server in its own process) and writes',
    'results/<timestamp>.json and results/latest.json (or --out FILE).',
    '',
    'Options:',
    `  ${'--profile <name>'.padEnd(34)}smoke (< 60 s), quick (< 3 min, default) or full (< 15 min): the defaults below`,
    `  ${'--config <file>'.padEnd(34)}JSON object of config keys (${Object.keys(RUN_OPTIONS).slice(0, 3).join(', ')}, …, profile); the command line wins`,
    ...rows.flat(),
    `  ${'-h, --help'.padEnd(34)}show this help`,
    '',
    'Lists are comma-separated. Exit codes: 0 all steps ok, 1 some step errored, 2 bad usage or input, 130 interrupted.',
  ].join('\n');
}
