import { z } from 'zod';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import { COMMON_DEFAULTS, flagOf, RUN_OPTIONS } from './options.ts';
import { PROFILE_DEFAULTS, PROFILES, type ProfileName } from './profiles.ts';

/**
 * The run's configuration: the options of options.ts as one zod schema, resolved from a profile's defaults
 * and the overrides (config file, then command line), validated once, then frozen.
 */

type Schemas = { [K in keyof typeof RUN_OPTIONS]: (typeof RUN_OPTIONS)[K]['schema'] };

export const configSchema = z.strictObject({
  profile: z.enum(PROFILES),
  ...(Object.fromEntries(Object.entries(RUN_OPTIONS).map(([key, spec]) => [key, spec.schema])) as Schemas),
});

export type ResolvedConfig = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = Partial<z.input<typeof configSchema>>;

/** An option that failed validation, named as the user typed it (exit 2). */
export function badOption(message: string): ToolError {
  return new ToolError(TOOL_ERRORS.BAD_OPTION, message);
}

/** Merges the common and the profile's defaults, then `overrides` (config file, then command line), validates and freezes. */
export function resolveConfig(profile: ProfileName, ...overrides: ConfigInput[]): ResolvedConfig {
  const merged = Object.assign({ profile }, COMMON_DEFAULTS, PROFILE_DEFAULTS[profile], ...overrides);
  // --binary is --payload-encoding binary: it replaces the profile's encodings, and contradicts a list of one's own.
  if (merged.binary === true) {
    const given = overrides.findLast((o) => o.payloadEncoding !== undefined)?.payloadEncoding;
    if (given !== undefined && given[0] !== 'binary') throw badOption(`invalid option --binary: it means --payload-encoding binary, and --payload-encoding ${given.join(',')} says otherwise`);
    merged.payloadEncoding = given ?? ['binary'];
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const flag = key ? flagOf(key) : 'config';
    const where = issue.path.length > 1 ? ` (item ${String(issue.path[1])})` : '';
    throw badOption(`invalid option ${flag}${where}: ${issue.message}`);
  }
  const most = Math.max(...parsed.data.nodes);
  if (most > 1 && parsed.data.feed === 'memory') {
    throw badOption(`invalid option --nodes: ${most} server nodes must share a feed; add --feed redis (a private redis-server) or --feed redis://host:port`);
  }
  if (parsed.data.joinAgents > 0 && parsed.data.feed === 'memory') {
    throw badOption("invalid option --join-agents: agents join through the feed's Redis; add --feed redis (agents on this machine, through its socket) or --feed redis://host:port (a Redis the agents' hosts reach)");
  }
  // binary follows the first encoding, so every step's server reads one field.
  return Object.freeze({ ...parsed.data, binary: parsed.data.payloadEncoding[0] === 'binary' });
}
