import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from './exit-codes.ts';

/** What a command writes to; tests pass their own to read it. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CommandIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

type Options = NonNullable<ParseArgsConfig['options']> & { help: { type: 'boolean'; short: 'h' } };
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: T }>>;

/** Reports bad input as `transport-bench <command>: <message>` (then the usage, when given); exits 2. */
export function usageError(io: CommandIo, command: string, message: string, usage?: string): number {
  io.stderr(`transport-bench ${command}: ${message}\n${usage === undefined ? '' : `\n${usage}\n`}`);
  return EXIT.USAGE;
}

/**
 * Parses a command's arguments strictly (positionals allowed). Returns the exit code instead when the
 * command has nothing more to do: `--help` printed the usage (0), or bad usage was reported with it (2).
 */
export function parseCommandArgs<T extends Options>(io: CommandIo, command: string, usage: string, argv: string[], options: T): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    return usageError(io, command, (error as Error).message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(usage + '\n');
    return EXIT.OK;
  }
  return parsed;
}
