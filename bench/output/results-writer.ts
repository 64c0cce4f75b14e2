import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsSchema, type Results } from '../../results/schema.ts';
import type { RunnerEvents } from '../run/runner-events.ts';

/**
 * Writes a run's results: results/<timestamp>.json plus results/latest.json, or the --out file instead.
 * Every file is written to a temporary name and renamed, so a reader never sees half a file.
 */

export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

/** An ISO timestamp safe in file names on every OS: 2024-05-01T12-30-45-123Z. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/:/g, '-').replace('.', '-');
}

/** Writes `text` to `file` atomically (temporary file in the same folder, then rename). */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export interface WriteOptions {
  /** Write here instead of results/<timestamp>.json (latest.json is then left alone). */
  out?: string;
  /** Folder of timestamped files and latest.json. */
  dir?: string;
}

export interface WrittenFiles {
  /** The file this run wrote. */
  file: string;
  /** results/latest.json, when it was updated. */
  latest?: string;
}

/** Validates `results` against the schema (a failure is a harness bug) and writes them. */
export function writeResults(results: Results, options: WriteOptions = {}): WrittenFiles {
  const checked = resultsSchema.safeParse(results);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`refusing to write results that do not match results/schema.ts: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const text = JSON.stringify(results, null, 2) + '\n';
  if (options.out) {
    const file = path.resolve(options.out);
    writeFileAtomic(file, text);
    return { file };
  }
  const dir = path.resolve(options.dir ?? DEFAULT_RESULTS_DIR);
  const file = path.join(dir, `${fileTimestamp(new Date(results.startedAt))}.json`);
  const latest = path.join(dir, 'latest.json');
  writeFileAtomic(file, text);
  writeFileAtomic(latest, text);
  return { file, latest };
}

/** Subscribes the writer to the end of a run; `onWritten` hears where the files went (or why they could not be written). */
export function attachResultsWriter(events: RunnerEvents, options: WriteOptions, onWritten: (outcome: { files?: WrittenFiles; error?: Error }) => void): void {
  events.on('run-done', ({ results }) => {
    try {
      onWritten({ files: writeResults(results, options) });
    } catch (error) {
      onWritten({ error: error as Error });
    }
  });
}
