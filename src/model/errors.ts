/**
 * The error catalogue. Every error switchyard raises carries a stable `code`,
 * the offending input in `details`, and the underlying failure as `cause`.
 *
 * Two families matter to the router: a `TransientError` is retried (nack,
 * HTTP 503, backoff), a `PermanentError` is recorded as dead and never retried.
 */

export type ErrorCode =
  | 'E_KEY_UNSAFE'
  | 'E_NOT_FOUND'
  | 'E_PRECONDITION'
  | 'E_CONFLICT'
  | 'E_CHECKSUM_MISMATCH'
  | 'E_REFERENTIAL_INVALID'
  | 'E_REFERENTIAL_MISSING'
  | 'E_CONFIG_INVALID'
  | 'E_PROJECT_UNDECLARED'
  | 'E_EVENT_INVALID'
  | 'E_BUCKET_AMBIGUOUS'
  | 'E_BUCKET_UNKNOWN'
  | 'E_UNAUTHORIZED'
  | 'E_LOCKED'
  | 'E_BACKEND'
  | 'E_BACKEND_PERMANENT'
  | 'E_DESTINATION_UNWRITABLE'
  | 'E_UNSUPPORTED'
  | 'E_USAGE'
  | 'E_DESTINATION_IS_SOURCE'
  | 'E_ROUTING_LOOP'
  | 'E_SYMLINK'
  | 'E_MESSAGE_UNREADABLE'
  | 'E_KEY_ENCODING'
  | 'E_TRANSFORM_FAILED'
  | 'E_NOTIFY_URL'
  | 'E_NOTIFY_FAILED'
  | 'E_MANIFEST_ID'
  | 'E_GROUP_TIMEOUT';

export type ErrorDetails = Record<string, unknown>;

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** True when retrying the same operation later may succeed. */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
    this.transient = false;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** A failure that will not go away by retrying: dead-letter it. */
export class PermanentError extends SwitchyardError {}

/** A failure that may go away: retry with backoff. */
export class TransientError extends SwitchyardError {
  override readonly transient: boolean = true;
}

/** A key that could escape its bucket (invariant 4). Permanent. */
export class KeyUnsafeError extends PermanentError {
  constructor(key: string, reason: string) {
    super('E_KEY_UNSAFE', `[switchyard] unsafe object key ${JSON.stringify(key)}: ${reason}`, {
      key,
      reason,
    });
  }
}

export class NotFoundError extends PermanentError {
  constructor(location: string, options?: { cause?: unknown }) {
    super('E_NOT_FOUND', `[switchyard] object not found: ${location}`, { location }, options);
  }
}

/** A conditional operation found another generation than the one it was given. */
export class PreconditionError extends PermanentError {
  constructor(location: string, expected: string, actual: string | undefined, options?: { cause?: unknown }) {
    super(
      'E_PRECONDITION',
      `[switchyard] ${location}: expected generation ${expected}, found ${actual ?? 'none'}`,
      { location, expected, actual },
      options,
    );
  }
}

export class ConflictError extends PermanentError {
  constructor(destination: string, reason: string) {
    super('E_CONFLICT', `[switchyard] destination ${destination} already holds other bytes: ${reason}`, {
      destination,
      reason,
    });
  }
}

/** Size and content identity as verification compares them (CRC32C and/or MD5, base64). */
export interface StatedBytes {
  size: number;
  crc32c?: string;
  md5?: string;
}

function describeBytes(bytes: StatedBytes): string {
  const md5 = bytes.md5 ? ` md5 ${bytes.md5}` : '';
  return `${bytes.size} bytes crc32c ${bytes.crc32c ?? 'unknown'}${md5}`;
}

export class ChecksumMismatchError extends TransientError {
  constructor(location: string, expected: StatedBytes, actual: StatedBytes) {
    super(
      'E_CHECKSUM_MISMATCH',
      `[switchyard] verification failed for ${location}: expected ${describeBytes(expected)}, got ${describeBytes(actual)}`,
      { location, expected, actual },
    );
  }
}

/**
 * The source's bytes cannot be transformed as the row asks (malformed CSV,
 * data that is not gzip): retrying reads the same bytes, so it is permanent;
 * the source is kept and nothing is left at the destination. `line`: the
 * source line where CSV parsing failed.
 */
export class TransformError extends PermanentError {
  constructor(
    source: string,
    transform: string,
    reason: string,
    line?: number,
    options?: { cause?: unknown },
  ) {
    const at = line === undefined ? '' : ` at line ${line}`;
    super(
      'E_TRANSFORM_FAILED',
      `[switchyard] [transform] ${transform} of ${source} failed${at}: ${reason}; the source is kept`,
      { source, transform, reason, ...(line === undefined ? {} : { line }) },
      options,
    );
  }
}

export interface ProblemLocation {
  file: string;
  line: number;
  column: string;
}

export interface Problem extends ProblemLocation {
  message: string;
  severity: 'error' | 'warning';
}

export class ReferentialInvalidError extends PermanentError {
  readonly problems: Problem[];
  constructor(source: string, problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      'E_REFERENTIAL_INVALID',
      `[switchyard] [referential] ${source} has ${errors.length} problem(s):\n` +
        errors.map((p) => `${p.file}:${p.line}: ${p.column}: ${p.message}`).join('\n'),
      { source, problems },
    );
    this.problems = problems;
  }
}

/** No referential where the configuration says it is (a file, or a gs:// / s3:// object). */
export class ReferentialMissingError extends PermanentError {
  constructor(location: string, options?: { cause?: unknown }) {
    super(
      'E_REFERENTIAL_MISSING',
      `[switchyard] [referential] no referential at ${location}: expected the routing referential ` +
        '(CSV, YAML or JSON; a gs:// or s3:// object; a bq:// table) named by --routes or `routes:` in switchyard.yaml (default ./routes.csv)',
      { location },
      options,
    );
  }
}

export class ConfigInvalidError extends PermanentError {
  constructor(source: string, message: string, details: ErrorDetails = {}) {
    super('E_CONFIG_INVALID', `[switchyard] [config] ${source}: ${message}`, { source, ...details });
  }
}

/**
 * A project that switchyard.yaml's `projects` does not declare, where only
 * declared projects may be used (the file declares some, or a cloud entry
 * point runs): it is never taken for a local folder under the data root.
 */
export class ProjectUndeclaredError extends PermanentError {
  constructor(project: string, declared: readonly string[]) {
    super('E_PROJECT_UNDECLARED', `[switchyard] [config] ${undeclaredProjectMessage(project, declared)}`, {
      project,
      declared: [...declared],
    });
  }
}

/** `project \`x\` is not declared…`: the reason shared by the error and the referential's problem. */
export function undeclaredProjectMessage(
  project: string,
  declared: readonly string[],
  suggestion?: string,
): string {
  const known = declared.length
    ? `expected one of the projects switchyard.yaml declares (${declared.join(', ')})`
    : 'expected a project switchyard.yaml declares, and it declares none';
  return (
    `project ${JSON.stringify(project)} is not declared: ${known}` +
    (suggestion !== undefined ? `; did you mean ${JSON.stringify(suggestion)}?` : '') +
    ` (a local folder under the data root is declared as \`${project}: { backend: fs }\`)`
  );
}

export class EventInvalidError extends PermanentError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_EVENT_INVALID', `[switchyard] [events] ${message}`, details);
  }
}

export class UsageError extends PermanentError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('E_USAGE', message, details);
  }
}

/** Wrap anything thrown by an SDK or the OS; the class decides retry or dead-letter. */
export function isTransient(error: unknown): boolean {
  if (error instanceof SwitchyardError) return error.transient;
  return true;
}

export function errorCode(error: unknown): string {
  if (error instanceof SwitchyardError) return error.code;
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code;
  return 'E_UNKNOWN';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
