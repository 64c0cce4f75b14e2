import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TOOL_ERRORS, ToolError } from '../protocol/tool-errors.ts';
import { readJsonFile } from '../results/read-json-file.ts';
import { METRIC_IDS, METRICS, type MetricId } from '../results/metrics.ts';
import { DEFAULT_RATIO_CHECKS, ratioCheckSchema } from './ratio-checks.ts';

/**
 * The thresholds config of `transport-bench compare`: declared once with its defaults (zod), read from a
 * JSON file, validated once. docs/compare.md documents every field. Every field is optional.
 */

const metricOverrideSchema = z.strictObject({
  /** Replaces the metric's default relative floor (fraction of the baseline median). */
  relativeFloor: z.number().nonnegative().optional(),
  /** Replaces the metric's default absolute floor (in the metric's unit). */
  absoluteFloor: z.number().nonnegative().optional(),
  /** false: the metric is not compared at all. Default true. */
  enabled: z.boolean().optional(),
  /** true: a regression of this metric is reported as a warning and does not fail the build. Default false. */
  warnOnly: z.boolean().optional(),
});

export const thresholdsSchema = z.strictObject({
  /** Free text for the humans editing the file; ignored. */
  $comment: z.string().optional(),
  /** The noise band is spreadFactor × (baseline max − min + current max − min). Default 1. */
  spreadFactor: z.number().nonnegative().default(1),
  /** When set, replaces every metric's default relative floor (a `metrics` entry still wins). Default: unset. */
  relativeFloor: z.number().nonnegative().optional(),
  /** Per-metric overrides, keyed by metric id. Default: none. */
  metrics: z.partialRecord(z.enum(METRIC_IDS), metricOverrideSchema).default({}),
  /** Which step-level findings fail the build (exit 1); false turns one into a warning. */
  failOn: z
    .strictObject({
      /** A step ok in the baseline and errored now. Default true. */
      newlyErrored: z.boolean().default(true),
      /** A baseline step absent from the current run. Default true. */
      missingStep: z.boolean().default(true),
      /** Any message lost with no fault injected, in the current run. Default true. */
      loss: z.boolean().default(true),
      /** Any message doubled or out of order, in any step of the current run. Default true. */
      disorder: z.boolean().default(true),
      /** A fault's outcome: loss after a drop, loss after a restart, a stalled client kept, a hostile input not handled. Default true. */
      faultOutcomes: z.boolean().default(true),
      /** A step whose load generator is saturated now and was not in the baseline. Default true. */
      newlySaturated: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * The latency gate (compare/latency-gate.ts): each transport's latency over the raw TCP floor of the same run
   * and point, against the baseline's ratio. A ratio regresses when its median rose by at least `factorFloor`
   * and (with per-repeat figures in both files) every current repeat lies above every baseline repeat.
   */
  latencyRatio: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Default 2: the ratio must at least double. */
      factorFloor: z.number().min(1).default(2),
      /** Percentiles whose regression fails the build. Default p50. */
      fail: z.array(z.enum(['p50', 'p90', 'p99'])).default(['p50']),
      /** Percentiles whose regression only warns. Default p99 (a few hundred samples per repeat: its tail is noisy). */
      warn: z.array(z.enum(['p50', 'p90', 'p99'])).default(['p99']),
    })
    .prefault({}),
  /**
   * When the two runs come from different machines (CPU model, core count, Node major): 'warn' prints a
   * warning and judges as usual; 'ratio-only' also turns baseline regressions into warnings, so only the
   * machine-independent checks can fail. Default 'warn'.
   */
  environmentMismatch: z.enum(['warn', 'ratio-only']).default('warn'),
  /** Step id prefixes to leave out of the baseline comparison, e.g. "capacity/". Default: none. */
  ignoreSteps: z.array(z.string().min(1)).default([]),
  /** Checks between transports of the current run; a list here replaces the default set ([] turns them off). */
  ratioChecks: z.array(ratioCheckSchema).default(() => [...DEFAULT_RATIO_CHECKS]),
});

export type Thresholds = z.output<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;

/** Read when no --thresholds is given and it exists; otherwise the defaults above apply. */
export const DEFAULT_THRESHOLDS_FILE = fileURLToPath(new URL('./thresholds.json', import.meta.url));

/** A thresholds file that is missing, not JSON, or has a bad field (named in the message). */
function badThresholds(file: string, message: string): ToolError {
  return new ToolError(TOOL_ERRORS.BAD_THRESHOLDS, `${file}: ${message}`);
}

/** Validates parsed JSON as a thresholds config; the error names the first bad field. */
export function parseThresholds(data: unknown, file = 'thresholds'): Thresholds {
  const parsed = thresholdsSchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const field = [...path, issue.keys[0]!].join('.');
    const hint = path.length === 1 && path[0] === 'metrics' ? ` (known metrics: ${METRIC_IDS.join(', ')})` : '';
    throw badThresholds(file, `unknown field "${field}"${hint}`);
  }
  throw badThresholds(file, `invalid field "${path.join('.') || '(root)'}": ${issue.message}`);
}

export function readThresholds(file: string): Thresholds {
  const json = readJsonFile(file);
  if ('failed' in json) {
    throw badThresholds(file, json.failed === 'read' ? `cannot read thresholds: ${json.reason}` : `thresholds file is not valid JSON: ${json.reason}`);
  }
  const data = json.data;
  return parseThresholds(data, file);
}

/** The explicit file, else compare/thresholds.json when present, else the built-in defaults. */
export function loadThresholds(file?: string): { thresholds: Thresholds; source: string } {
  if (file !== undefined) return { thresholds: readThresholds(file), source: file };
  if (existsSync(DEFAULT_THRESHOLDS_FILE)) return { thresholds: readThresholds(DEFAULT_THRESHOLDS_FILE), source: 'compare/thresholds.json' };
  return { thresholds: parseThresholds({}), source: 'built-in defaults' };
}

export interface MetricFloors {
  enabled: boolean;
  warnOnly: boolean;
  relativeFloor: number;
  absoluteFloor: number;
}

/** A metric's floors after the thresholds file: its `metrics` entry, then the global relativeFloor, then the metric's default. */
export function floorsFor(thresholds: Thresholds, id: MetricId): MetricFloors {
  const own = thresholds.metrics[id] ?? {};
  const metric = METRICS[id];
  return {
    enabled: own.enabled ?? true,
    warnOnly: own.warnOnly ?? false,
    relativeFloor: own.relativeFloor ?? thresholds.relativeFloor ?? metric.relativeFloor,
    absoluteFloor: own.absoluteFloor ?? metric.absoluteFloor,
  };
}
