import { readFileSync } from 'node:fs';

/** A JSON file's value, or which step failed and why ("no such file" for a missing one). */
export type JsonFile = { data: unknown } | { failed: 'read' | 'parse'; reason: string };

/** Reads and parses a JSON file; the caller words the error for its own kind of file. */
export function readJsonFile(file: string): JsonFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { failed: 'read', reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message };
  }
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    return { failed: 'parse', reason: (error as Error).message };
  }
}
