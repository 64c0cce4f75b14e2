import { readConfigFile } from '../bench/config/config-file.ts';
import { badOption, resolveConfig, type ConfigInput, type ResolvedConfig } from '../bench/config/config.ts';
import { COMMON_DEFAULTS, flagOf, RUN_OPTIONS, type OptionKey, type OptionSpec } from '../bench/config/options.ts';
import { PROFILE_DEFAULTS, PROFILES, type ProfileName } from '../bench/config/profiles.ts';
import { isToolError, TOOL_ERRORS } from '../protocol/tool-errors.ts';
import { readArgs, type ArgOptions } from './cli-support.ts';

/**
 * `transport-bench run`'s command line: argv → the overrides of the config, read with the one argv reader
 * (cli-support.ts) from the option table (bench/config/options.ts), which also writes the --help. The
 * values are validated once, by resolveConfig.
 */

const SPECS = RUN_OPTIONS as Record<OptionKey, OptionSpec>;
const KEYS = Object.keys(SPECS) as OptionKey[];
/** parseArgs's name of an option: its flag without the dashes. */
const nameOf = (key: OptionKey) => flagOf(key).slice(2);

const ARG_OPTIONS: ArgOptions = {
  profile: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(KEYS.map((key) => [nameOf(key), { type: SPECS[key].kind === 'boolean' ? 'boolean' : 'string' } as const])),
};

export type ParsedRunArgs = { help: true } | { help: false; profile?: ProfileName; configFile?: string; overrides: ConfigInput };

function parseNumber(flag: string, text: string, accepts: string): number {
  const trimmed = text.trim().replace(/_/g, '');
  const value = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(value)) throw badOption(`invalid option ${flag}: '${text}' is not a number; it accepts ${accepts}`);
  return value;
}

function parseValue(key: OptionKey, text: string | boolean): unknown {
  const { kind, accepts } = SPECS[key];
  const flag = flagOf(key);
  if (typeof text === 'boolean') return text;
  const items = () => text.split(',').map((item) => item.trim());
  switch (kind) {
    case 'numbers':
      return items().map((item) => parseNumber(flag, item, accepts));
    case 'number':
      return parseNumber(flag, text, accepts);
    case 'strings':
      return items().filter((item) => item !== '');
    default:
      return text;
  }
}

/** Reads `run`'s argv. Throws a BAD_OPTION ToolError naming the option on an unknown flag, a missing value or a bad number. */
export function parseRunArgs(argv: readonly string[]): ParsedRunArgs {
  const { values } = readArgs('run', argv, ARG_OPTIONS);
  if (values.help) return { help: true };
  const profile = values.profile as string | undefined;
  if (profile !== undefined && !(PROFILES as readonly string[]).includes(profile)) throw badOption(`invalid option --profile: '${profile}'; expected one of ${PROFILES.join(', ')}`);
  const overrides: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = values[nameOf(key)];
    if (value !== undefined) overrides[key] = parseValue(key, value as string | boolean);
  }
  return { help: false, profile: profile as ProfileName | undefined, configFile: values.config as string | undefined, overrides: overrides as ConfigInput };
}

/**
 * The run's config: profile (command line, else the config file, else quick), then the config file, then the
 * command line, validated once. Throws a BAD_OPTION ToolError naming the option.
 */
export function resolveRunConfig(args: Extract<ParsedRunArgs, { help: false }>): ResolvedConfig {
  const file = args.configFile !== undefined ? readConfigFile(args.configFile) : undefined;
  const profile = args.profile ?? file?.profile ?? 'quick';
  if (file) {
    // Checked alone first, so a bad value from the file is reported as coming from the file.
    try {
      resolveConfig(profile, file.input);
    } catch (error) {
      if (isToolError(error, TOOL_ERRORS.BAD_OPTION)) throw badOption(`in config file ${args.configFile}: ${error.message}`);
      throw error;
    }
  }
  return resolveConfig(profile, file?.input ?? {}, args.overrides);
}

/** Whether the user set `key` (on the command line or in the config file), rather than leaving it to the profile. */
export function optionGiven(args: Extract<ParsedRunArgs, { help: false }>, key: keyof ConfigInput): boolean {
  if (args.overrides[key] !== undefined) return true;
  return args.configFile !== undefined && readConfigFile(args.configFile).input[key] !== undefined;
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The default an option has in each profile, in words: `[default 3]` or `[smoke 2 · quick 3 · full 3]`. */
function defaultsOf(key: OptionKey): string {
  if (key in COMMON_DEFAULTS) {
    const value = COMMON_DEFAULTS[key as keyof typeof COMMON_DEFAULTS];
    return typeof value === 'boolean' ? '' : ` [default ${formatDefault(value)}]`;
  }
  if (!(key in PROFILE_DEFAULTS.quick)) return '';
  const values = PROFILES.map((p) => formatDefault(PROFILE_DEFAULTS[p][key as keyof (typeof PROFILE_DEFAULTS)['quick']]));
  return new Set(values).size === 1 ? ` [default ${values[0]}]` : ` [${PROFILES.map((p, i) => `${p} ${values[i]}`).join(' · ')}]`;
}

/** `transport-bench run --help`, written from the option table. */
export function runHelp(): string {
  const rows = KEYS.map((key) => {
    const spec = SPECS[key];
    const placeholder = spec.kind === 'numbers' || spec.kind === 'strings' ? 'list' : spec.kind === 'number' ? 'n' : key === 'out' ? 'file' : 'value';
    const flag = spec.kind === 'boolean' ? flagOf(key) : `${flagOf(key)} <${placeholder}>`;
    const accepts = spec.kind === 'boolean' || key === 'out' ? [] : [`  ${''.padEnd(34)}accepts ${spec.accepts}`];
    return [`  ${flag.padEnd(34)}${spec.help}${defaultsOf(key)}`, ...accepts];
  });
  return [
    'Usage: transport-bench run [options]',
    '',
    'Runs every scenario against every transport (each server in its own process) and writes',
    'results/<timestamp>.json and results/latest.json (or --out FILE).',
    '',
    'Options:',
    `  ${'--profile <name>'.padEnd(34)}smoke (< 60 s), quick (< 3 min, default) or full (< 15 min): the defaults below`,
    `  ${'--config <file>'.padEnd(34)}JSON object of config keys (${KEYS.slice(0, 3).join(', ')}, …, profile); the command line wins`,
    ...rows.flat(),
    `  ${'-h, --help'.padEnd(34)}show this help`,
    '',
    'Lists are comma-separated. Exit codes: 0 all steps ok (or not run here: raw TCP in a browser, a profile\'s browser step without chromium), 1 some step errored, 2 bad usage or input, 130 interrupted.',
  ].join('\n');
}
