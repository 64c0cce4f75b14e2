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
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const flag = key ? flagOf(key) : 'config';
    const where = issue.path.length > 1 ? ` (item ${String(issue.path[1])})` : '';
    throw badOption(`invalid option ${flag}${where}: ${issue.message}`);
  }
  return Object.freeze(parsed.data);
}
