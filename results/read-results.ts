import { readJsonFile } from './read-json-file.ts';
import { RESULTS_SCHEMA_VERSION, resultsSchema, type Results } from './schema.ts';

/** A results file that is missing, not JSON, of another schema version, or not of this shape. */
export class ResultsFileError extends Error {
  constructor(
    readonly code: 'RESULTS_ERR_MISSING' | 'RESULTS_ERR_NOT_JSON' | 'RESULTS_ERR_VERSION' | 'RESULTS_ERR_SHAPE',
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ResultsFileError';
  }
}

/** Validates parsed JSON as results; `file` names the source in error messages. */
export function parseResults(data: unknown, file = 'results'): Results {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ResultsFileError('RESULTS_ERR_SHAPE', file, 'is not a transport-bench results object');
  }
  if (version !== RESULTS_SCHEMA_VERSION) {
    throw new ResultsFileError(
      'RESULTS_ERR_VERSION',
      file,
      `has results schema version ${JSON.stringify(version)}; this transport-bench reads version ${RESULTS_SCHEMA_VERSION} (re-run the benchmark to produce a compatible file)`,
    );
  }
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ResultsFileError('RESULTS_ERR_SHAPE', file, `is not valid results: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Reads and validates a results file. Throws ResultsFileError with a message that names the file and the problem. */
export function readResults(file: string): Results {
  const json = readJsonFile(file);
  if ('failed' in json) {
    throw json.failed === 'read'
      ? new ResultsFileError('RESULTS_ERR_MISSING', file, `cannot read: ${json.reason}`)
      : new ResultsFileError('RESULTS_ERR_NOT_JSON', file, `is not valid JSON (corrupt or truncated?): ${json.reason}`);
  }
  return parseResults(json.data, file);
}
