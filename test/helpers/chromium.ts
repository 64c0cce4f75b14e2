import { findChromium, INSTALL_CHROMIUM } from '../../clients/browser/find-chromium.ts';

/**
 * Where the browser suites find Debian's chromium (never a downloaded browser): $CHROMIUM_PATH when set,
 * else `chromium` on the PATH. Outside CI a missing chromium skips those suites with a loud line naming them
 * and the command that installs it; under CI=true it is required, and the suite fails saying so.
 */

export { findChromium, INSTALL_CHROMIUM };

/** True when the suite must run: chromium was found, or CI requires it (then its absence fails the suite). */
export function browserSuiteRuns(suite: string, chromium: string | undefined): boolean {
  if (chromium !== undefined || process.env.CI === 'true') return true;
  const where = process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist` : 'no chromium on the PATH';
  process.stderr.write(`\n!!! SKIPPED browser suite "${suite}": ${where}. Install Debian's chromium with: ${INSTALL_CHROMIUM} (or set CHROMIUM_PATH). Under CI=true this suite is required.\n\n`);
  return false;
}

/** The error of a required suite without chromium. */
export function chromiumMissing(): Error {
  const where = process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist` : 'chromium is not on the PATH';
  return new Error(`${where}, and CI=true requires the browser suites: install it with \`${INSTALL_CHROMIUM}\` (.ci/run does this)`);
}
