import { INSTALL_REDIS, PrivateRedis, redisServerMissing } from '../../bench/run/redis-server.ts';

/**
 * The Redis suites start their own private redis-server (bench/run/redis-server.ts: Debian's package, a Unix
 * socket, nothing saved). Outside CI a missing redis-server skips them with a loud line naming them and the
 * command that installs it; under CI=true they are required, and fail saying so.
 */

export { PrivateRedis };

/** True when the suite must run: redis-server was found, or CI requires it (then its absence fails the suite). */
export function redisSuiteRuns(suite: string): boolean {
  if (redisServerMissing() === undefined || process.env.CI === 'true') return true;
  process.stderr.write(`\n!!! SKIPPED Redis suite "${suite}": redis-server is not installed. Install Debian's redis-server with: ${INSTALL_REDIS}. Under CI=true this suite is required.\n\n`);
  return false;
}
