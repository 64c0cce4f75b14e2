#!/usr/bin/env -S npx tsx
/**
 * transport-bench: run | serve | report | compare | agent. Each command lives in bin/commands/ and returns its exit code.
 * Exit codes (all commands): 0 success, 1 the command ran and found a failure (errored steps, a regression),
 * 2 bad usage or bad input, 130 interrupted (Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { EXIT } from './exit-codes.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  run: { summary: 'run the benchmark and write results JSON', load: () => import('./commands/run.ts') },
  serve: { summary: 'start all six transport servers over one feed', load: () => import('./commands/serve.ts') },
  report: { summary: 'build the HTML report and Markdown summary from results', load: () => import('./commands/report.ts') },
  compare: { summary: 'compare a results file against a baseline (CI)', load: () => import('./commands/compare.ts') },
  agent: { summary: 'a load agent: started by run --agents N, or by hand with --join <redis-url>', load: () => import('./commands/agent.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return [
    'Usage: transport-bench <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `transport-bench <command> --help` for the options of one command.',
    'Exit codes: 0 success, 1 failure found (errored steps, regression), 2 bad usage or input, 130 interrupted.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`transport-bench: unknown command '${name}'\n\n${usage()}\n`);
    return EXIT.USAGE;
  }
  return (await command.load()).main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`transport-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
