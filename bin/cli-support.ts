import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INPUT_ERRORS, isToolError, TOOL_ERRORS, ToolError } from '../protocol/tool-errors.ts';
import { EXIT } from './exit-codes.ts';

/**
 * What every command shares: where it writes, the one argv reader (node:util parseArgs, strict) with errors
 * that name the option and suggest the closest known one, and the usage error (exit 2).
 */

/** What a command writes to; tests pass their own to read it. */
/** The options parseArgs reads. */
export type ArgOptions = NonNullable<ParseArgsConfig['options']>;

/** What readArgs gives: each option's value (a string, or true for a flag) and the other arguments. */
export interface ParsedArgs<T extends ArgOptions> {
  values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CommandIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Levenshtein distance, for "did you mean" on a mistyped option. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The closest known option to a mistyped one, within two edits. */
function closest(flag: string, options: ArgOptions): string | undefined {
  const best = Object.keys(options)
    .map((name) => `--${name}`)
    .map((known) => [known, distance(flag, known)] as const)
    .sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}

/** parseArgs's error as one that names the option and what to do; `command` is for the --help hint. */
function argError(error: unknown, options: ArgOptions, command: string, argv: readonly string[]): ToolError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const near = closest(option, options);
    return new ToolError(TOOL_ERRORS.BAD_OPTION, `unknown option ${option}${near ? ` (did you mean ${near}?)` : ''}; run 'transport-bench ${command} --help' for the options`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return new ToolError(TOOL_ERRORS.BAD_OPTION, /does not take an argument/.test(message) ? `option ${option} takes no value` : `option ${option} needs a value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const stray = /'([^']*)'/.exec(message)?.[1] ?? '';
    // `--bandwidth 10 parsecs`: the stray word most likely belongs to the option just before it.
    const at = argv.indexOf(stray);
    const owner = at >= 2 ? argv[at - 2]! : '';
    if (owner.startsWith('--') && options[owner.slice(2)]?.type === 'string') {
      return new ToolError(TOOL_ERRORS.BAD_OPTION, `invalid option ${owner}: '${argv[at - 1]} ${stray}' is two words; ${owner} takes one value (quote it if it holds a space)`);
    }
    return new ToolError(TOOL_ERRORS.BAD_OPTION, `unexpected argument ${stray}; options start with --`);
  }
  return new ToolError(TOOL_ERRORS.BAD_OPTION, message);
}

/**
 * Reads a command's argv strictly: unknown options, missing values and (unless `positionals`) stray
 * arguments are BAD_OPTION errors. A value that starts with a dash and a digit belongs to its option
 * (`--rate -5` reaches validation, which says what --rate accepts).
 */
export function readArgs<T extends ArgOptions>(command: string, argv: readonly string[], options: T, positionals = false): ParsedArgs<T> {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals }) as ParsedArgs<T>;
  } catch (error) {
    throw argError(error, options, command, argv);
  }
}

/** Reports bad input as `transport-bench <command>: <message>` (then the usage, when given); exits 2. */
export function usageError(io: CommandIo, command: string, message: string, usage?: string): number {
  io.stderr(`transport-bench ${command}: ${message}\n${usage === undefined ? '' : `\n${usage}\n`}`);
  return EXIT.USAGE;
}

type Options = ArgOptions & { help: { type: 'boolean'; short: 'h' } };

/**
 * Reads a command's arguments (positionals allowed). Returns the exit code instead when the command has
 * nothing more to do: `--help` printed the usage (0), or bad usage was reported with it (2).
 */
export function parseCommandArgs<T extends Options>(io: CommandIo, command: string, usage: string, argv: string[], options: T): ParsedArgs<T> | number {
  let parsed: ParsedArgs<T>;
  try {
    parsed = readArgs(command, argv, options, true);
  } catch (error) {
    return usageError(io, command, (error as Error).message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(usage + '\n');
    return EXIT.OK;
  }
  return parsed;
}

/** Whether `error` is bad input from the user (a command answers it with exit 2). */
export function isInputError(error: unknown): error is ToolError {
  return isToolError(error) && INPUT_ERRORS.has(error.code);
}
