import { readJsonFile } from '../../results/read-json-file.ts';
import { badOption, configSchema, type ConfigInput } from './config.ts';
import { PROFILES, type ProfileName } from './profiles.ts';

/**
 * `--config FILE`: a JSON object of config keys (the same names as in bench/config/config.ts, e.g.
 * `{ "profile": "smoke", "rate": [100, 1000], "durationMs": 2000 }`). Keys are checked here; values are
 * validated with everything else by resolveConfig.
 */

export interface ConfigFile {
  profile?: ProfileName;
  input: ConfigInput;
}

export const CONFIG_KEYS = Object.keys(configSchema.shape);

export function readConfigFile(file: string): ConfigFile {
  const json = readJsonFile(file);
  if ('failed' in json) {
    throw badOption(json.failed === 'read' ? `invalid option --config: cannot read ${file}: ${json.reason}` : `invalid option --config: ${file} is not valid JSON: ${json.reason}`);
  }
  const data = json.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw badOption(`invalid option --config: ${file} must hold a JSON object of config keys`);
  }
  const unknown = Object.keys(data).filter((key) => !CONFIG_KEYS.includes(key));
  if (unknown.length > 0) {
    throw badOption(`invalid option --config: ${file} has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; accepted keys: ${CONFIG_KEYS.join(', ')}`);
  }
  const { profile, ...input } = data as Record<string, unknown>;
  if (profile !== undefined && !(PROFILES as readonly unknown[]).includes(profile)) {
    throw badOption(`invalid option --config: ${file} has profile ${JSON.stringify(profile)}; expected one of ${PROFILES.join(', ')}`);
  }
  return { profile: profile as ProfileName | undefined, input: input as ConfigInput };
}
