import cliProgress from 'cli-progress';
import type { RunnerEvents } from '../run/runner-events.ts';
import { formatStepLine } from './result-table.ts';
import { outcomesText } from '../../results/step-outcome.ts';

/**
 * Shows a run as it goes: a cli-progress bar per step on a terminal, or one plain line per finished step
 * (not a TTY, or --quiet). Subscribes to the runner's events; measures nothing.
 */

export interface ProgressOptions {
  /** Where to write (default stderr, so stdout keeps the table). */
  stream?: NodeJS.WriteStream;
  /** Plain lines even on a terminal. */
  plain?: boolean;
}

/** Steps expected to take less than this get no bar on a terminal, just their line, ms. */
const BAR_THRESHOLD_MS = 1_000;

export function attachProgress(events: RunnerEvents, options: ProgressOptions = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain || !stream.isTTY;
  const write = (line: string): void => {
    stream.write(line + '\n');
  };
  let bar: cliProgress.SingleBar | undefined;
  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
  };

  events.on('plan', ({ steps, servers }) => {
    const transports = new Set(steps.map((s) => s.transport)).size;
    const scenarios = new Set(steps.map((s) => s.scenario)).size;
    write(`transport-bench run: ${steps.length} steps (${transports} transports × ${scenarios} scenarios); starting ${servers} server process${servers === 1 ? '' : 'es'}…`);
  });

  let done = 0;
  events.on('repeat-start', ({ total, step, repeat, repeats, expectedMs }) => {
    stopBar();
    if (plain || expectedMs < BAR_THRESHOLD_MS) return;
    bar = new cliProgress.SingleBar(
      { stream, format: `{bar} {percentage}% | [${done}/${total} done] {id} · repeat ${repeat + 1}/${repeats}`, hideCursor: true, clearOnComplete: true, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { id: step.id });
  });

  events.on('progress', ({ fraction }) => {
    bar?.update(Math.round(fraction * 100));
  });

  events.on('step-done', ({ done: finished, total, result, elapsedMs }) => {
    stopBar();
    done = finished;
    write(formatStepLine(result, finished - 1, total, elapsedMs));
  });

  events.on('run-done', ({ results, interrupted }) => {
    stopBar();
    write(`${interrupted ? 'interrupted' : 'done'} in ${(results.summary.durationMs / 1000).toFixed(1)} s: ${outcomesText(results.steps)}`);
  });

  return stopBar;
}
