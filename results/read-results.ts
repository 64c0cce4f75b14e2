import { TOOL_ERRORS, ToolError, type ToolErrorCode } from '../protocol/tool-errors.ts';
import { readJsonFile } from './read-json-file.ts';
import { RESULTS_SCHEMA_VERSION, resultsSchema, type Results } from './schema.ts';

/** A results file that is missing, not JSON, of another schema version, or not of this shape (exit 2). */
function badResults(code: ToolErrorCode, file: string, message: string): ToolError {
  return new ToolError(code, `${file}: ${message}`);
}

/** Validates parsed JSON as results; `file` names the source in error messages. */
export function parseResults(data: unknown, file = 'results'): Results {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw badResults(TOOL_ERRORS.RESULTS_SHAPE, file, 'is not a transport-bench results object');
  }
  if (version !== RESULTS_SCHEMA_VERSION) {
    throw badResults(
      TOOL_ERRORS.RESULTS_VERSION,
      file,
      `has results schema version ${JSON.stringify(version)}; this transport-bench reads version ${RESULTS_SCHEMA_VERSION} (re-run the benchmark to produce a compatible file)`,
    );
  }
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw badResults(TOOL_ERRORS.RESULTS_SHAPE, file, `is not valid results: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Reads and validates a results file. Throws a RESULTS_* ToolError with a message that names the file and the problem. */
export function readResults(file: string): Results {
  const json = readJsonFile(file);
  if ('failed' in json) {
    throw json.failed === 'read'
      ? badResults(TOOL_ERRORS.RESULTS_MISSING, file, `cannot read: ${json.reason}`)
      : badResults(TOOL_ERRORS.RESULTS_NOT_JSON, file, `is not valid JSON (corrupt or truncated?): ${json.reason}`);
  }
  return parseResults(json.data, file);
}
