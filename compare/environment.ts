import type { Environment } from '../results/schema.ts';

/**
 * Whether two runs come from comparable machines. Latency, throughput and CPU figures from different CPUs,
 * core counts or Node majors cannot be compared; bytes mostly can, ratio checks always can.
 */

/** "v20.11.1" or "20.11.1" → 20; null when unreadable. */
export function nodeMajor(version: string): number | null {
  const match = /^v?(\d+)\./.exec(version.trim());
  return match ? Number(match[1]) : null;
}

/** The differences that make a baseline comparison meaningless, in words; empty when the machines match. */
export function environmentDifferences(baseline: Environment, current: Environment): string[] {
  const differences: string[] = [];
  if (baseline.cpuModel.trim() !== current.cpuModel.trim()) {
    differences.push(`CPU model "${baseline.cpuModel.trim()}" vs "${current.cpuModel.trim()}"`);
  }
  if (baseline.cpuCount !== current.cpuCount) {
    differences.push(`${baseline.cpuCount} vs ${current.cpuCount} cores`);
  }
  const before = nodeMajor(baseline.node);
  const after = nodeMajor(current.node);
  if (before !== after) {
    differences.push(`Node ${before ?? baseline.node} vs ${after ?? current.node}`);
  }
  return differences;
}

/**
 * Measuring conditions recorded in results.method that move timings as much as another machine would:
 * `busyPoll` takes ~100 µs of idle wake-up out of every latency on this VM (docs/method.md).
 */
export function methodDifferences(baseline: Record<string, string>, current: Record<string, string>): string[] {
  const busyPoll = (method: Record<string, string>) => (method.busyPoll ?? 'off').split(':')[0]!.trim();
  return busyPoll(baseline) === busyPoll(current) ? [] : [`busy polling ${busyPoll(baseline)} vs ${busyPoll(current)}`];
}

/** The warning line printed at the top of the comparison, or null when the machines and conditions match. */
export function environmentWarning(baseline: { environment: Environment; method: Record<string, string> }, current: { environment: Environment; method: Record<string, string> }): string | null {
  const differences = [...environmentDifferences(baseline.environment, current.environment), ...methodDifferences(baseline.method, current.method)];
  if (differences.length === 0) return null;
  return (
    `Warning: the baseline and the current run come from different environments (baseline vs current: ${differences.join('; ')}). ` +
    'A baseline comparison across machines is meaningless: read its regressions as hints; the ratio checks still hold.'
  );
}
