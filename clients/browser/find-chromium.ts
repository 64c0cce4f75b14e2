import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's chromium (never a downloaded browser): $CHROMIUM_PATH when set, else `chromium` on the PATH;
 * undefined when neither is there.
 */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? given : undefined;
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path !== '' ? path : undefined;
}

/** The one command that installs it here. */
export const INSTALL_CHROMIUM = 'apt-get update -qq && apt-get install -y --no-install-recommends chromium';
