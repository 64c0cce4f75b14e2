import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../../results/schema.ts';

/** The machine and software a run measured on, recorded in every results file. */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Packages whose versions shape the numbers. */
export const RECORDED_PACKAGES = ['ws', 'socket.io', 'socket.io-client', 'fastify', 'autocannon', 'hdr-histogram-js', 'typescript', 'tsx'] as const;

/** Installed version of each package, read from node_modules (absent packages are left out). */
export function packageVersions(root = PROJECT_ROOT, names: readonly string[] = RECORDED_PACKAGES): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    try {
      // Read the file directly: some packages do not export ./package.json.
      const pkg = JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') versions[name] = pkg.version;
    } catch {
      // Not installed: nothing to record.
    }
  }
  return versions;
}

function git(args: string[], root: string): string | null {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** CI sets CI=true (GitHub, GitLab, this project's .ci/run). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

export function collectEnvironment(root = PROJECT_ROOT): Environment {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD'], root);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], root);
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    packages: packageVersions(root),
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    ci: isCi(),
  };
}

/** This tool's version (package.json). */
export function toolVersion(root = PROJECT_ROOT): string {
  try {
    return (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
