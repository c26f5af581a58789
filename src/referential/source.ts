import { errorCode, errorMessage, ReferentialInvalidError, type Problem } from '../model/errors.js';
import { crypto } from '../util/builtins.js';
import { sha256Hex } from '../util/sha256.js';
import { silentLogger, type Logger } from '../util/log.js';
import { loadReferentialText } from './load.js';
import type { BucketIdentity } from './bucket-identity.js';
import { referentialOf } from './referential.js';
import {
  readSteady,
  referentialReaderFor,
  type ReferentialAccess,
  type ReferentialContent,
  type ReferentialReader,
} from './readers.js';
import type { RawRow, Referential } from './types.js';
import { formatProblem, validateRows, type ValidateOptions } from './validate.js';

/** Default interval between two checks for a new version of the referential. */
export const DEFAULT_ROUTES_POLL_MS = 30_000;

/** Parses, validates and compiles referential text, as `loadReferential` does for a file. */
export function compileReferentialText(
  text: string,
  source: string,
  options: Omit<ValidateOptions, 'source'> = {},
): { referential: Referential; problems: Problem[] } {
  return compileReferentialRows(loadReferentialText(text, source), source, options);
}

/**
 * Reads one version of the referential at a path, a `gs://` / `s3://` URI
 * or a `bq://` table, then validates and compiles it (commands that do not
 * poll: `explain`, `enqueue`).
 */
export async function loadReferentialAt(
  location: string,
  access: ReferentialAccess,
  options: Omit<ValidateOptions, 'source'> = {},
): Promise<{ referential: Referential; problems: Problem[] }> {
  const read = await readSteady(location, referentialReaderFor(location, access));
  return 'text' in read
    ? compileReferentialText(read.text, location, options)
    : compileReferentialRows(read.rows, location, options);
}

/** Validates and compiles rows already split (a BigQuery table's). */
export function compileReferentialRows(
  rows: readonly RawRow[],
  source: string,
  options: Omit<ValidateOptions, 'source'> = {},
): { referential: Referential; problems: Problem[] } {
  const { routes, problems } = validateRows(rows, { ...options, source });
  if (problems.some((p) => p.severity === 'error')) throw new ReferentialInvalidError(source, problems);
  return { referential: referentialOf(routes, source), problems };
}

export interface ReferentialSourceOptions {
  /** Path, `gs://` / `s3://` URI or `bq://` table, as problems and logs name it. */
  location: string;
  reader: ReferentialReader;
  /** Interval of `start()`'s checks; 0 disables them. Default 30 s. */
  pollMs?: number;
  logger?: Logger;
  /** Which buckets are one, for every version read (see `ValidateOptions`). */
  bucketIdentity?: BucketIdentity;
  /** The only projects rows may name, for every version read (see `ValidateOptions`). */
  declaredProjects?: readonly string[];
}

interface Snapshot {
  referential: Referential;
  problems: Problem[];
  version: string;
  /** The SHA-256 of what was read, compared by a check with what it reads next. */
  digest: () => string;
  /** When this version became current (ms since the epoch). */
  loadedAt: number;
}

export interface ReloadResult {
  /** A new referential is now current. */
  changed: boolean;
  /** Errors of a refused version (the previous one is kept), or warnings of the accepted one. */
  problems: Problem[];
}

/**
 * Holds the referential a long-running process routes by and swaps in a new
 * version when its source changes. A version with errors (or a referential
 * that vanished) is refused: the previous one stays current and the problems
 * are logged at error level and counted (`reloadFailures`), once per refused
 * version; an empty referential is refused like any invalid one. `current()`
 * never changes while a reload is being read or compiled.
 */
export class ReferentialSource {
  private snapshot: Snapshot;
  private refused: { version: string; problems: Problem[] } | undefined;
  /** A new version seen once by a reader that `settles`: read when the next check sees it again. */
  private unsettled: string | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<ReloadResult> | undefined;
  private readonly log: Logger;

  private constructor(
    private readonly options: Omit<ReferentialSourceOptions, 'reader'> & { reader?: ReferentialReader },
    first: Snapshot,
  ) {
    this.snapshot = first;
    this.log = options.logger ?? silentLogger();
  }

  /** Reads and compiles the first version; throws (ReferentialInvalidError, ReferentialMissingError, …) when it cannot. */
  static async open(options: ReferentialSourceOptions): Promise<ReferentialSource> {
    const read = await readSteady(options.location, options.reader);
    return new ReferentialSource(options, snapshotOf(read, options));
  }

  /** A referential that never changes (tests, embedding, `demo`). */
  static fixed(referential: Referential, problems: Problem[] = []): ReferentialSource {
    return new ReferentialSource(
      { location: referential.source },
      { referential, problems, version: 'fixed', digest: () => '', loadedAt: Date.now() },
    );
  }

  current(): Referential {
    return this.snapshot.referential;
  }

  /** Warnings of the current version. */
  get warnings(): Problem[] {
    return this.snapshot.problems.filter((p) => p.severity === 'warning');
  }

  get version(): string {
    return this.snapshot.version;
  }

  get location(): string {
    return this.options.location;
  }

  /** Versions refused and checks that failed since this source opened. */
  get reloadFailures(): number {
    return this.failures;
  }

  /** Seconds since the current version became current. */
  ageSeconds(now = Date.now()): number {
    return Math.max(0, (now - this.snapshot.loadedAt) / 1000);
  }

  /** Checks for a new version every `pollMs` (no-op when 0 or already started); the timer never keeps the process alive. */
  start(): void {
    const pollMs = this.options.pollMs ?? DEFAULT_ROUTES_POLL_MS;
    if (this.timer || !this.options.reader || pollMs <= 0) return;
    this.timer = setInterval(() => void this.reload(), pollMs);
    this.timer.unref();
  }

  /** Stops the checks and waits for one in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reloading;
  }

  /** Checks the source now and swaps in a new, valid version. Never rejects; concurrent calls share one check. */
  reload(): Promise<ReloadResult> {
    this.reloading ??= this.check().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async check(): Promise<ReloadResult> {
    const reader = this.options.reader;
    if (!reader) return { changed: false, problems: [] };
    const location = this.options.location;
    try {
      const version = await reader.version();
      if (version === undefined) {
        return this.refuse('(missing)', [problemAt(location, 'the referential is gone (not found)')]);
      }
      if (version === this.snapshot.version) {
        this.unsettled = undefined;
        return { changed: false, problems: [] };
      }
      if (version === this.refused?.version) return { changed: false, problems: this.refused.problems };
      if (reader.settles && this.unsettled !== version) {
        this.unsettled = version;
        return { changed: false, problems: [] };
      }
      this.unsettled = undefined;
      const read = await reader.read();
      if (!read) return { changed: false, problems: [] };
      if (digestOf(read) === this.snapshot.digest()) {
        this.snapshot = { ...this.snapshot, version: read.version };
        this.refused = undefined;
        return { changed: false, problems: [] };
      }
      let next: Snapshot;
      try {
        next = snapshotOf(read, this.options);
      } catch (error) {
        if (error instanceof ReferentialInvalidError) return this.refuse(read.version, error.problems);
        throw error;
      }
      const previous = this.snapshot;
      this.snapshot = next;
      this.refused = undefined;
      this.log.info(
        {
          source: location,
          version: next.version,
          previousVersion: previous.version,
          routes: next.referential.routes.length,
        },
        'referential reloaded: new routes take effect now',
      );
      const warnings = next.problems.filter((p) => p.severity === 'warning');
      if (warnings.length)
        this.log.warn({ source: location, warnings: warnings.map(formatProblem) }, 'referential warnings');
      return { changed: true, problems: next.problems };
    } catch (error) {
      this.failures++;
      this.log.error(
        { source: location, code: errorCode(error), err: error },
        `referential check failed (keeping the current version): ${errorMessage(error)}`,
      );
      return { changed: false, problems: [problemAt(location, errorMessage(error))] };
    }
  }

  private refuse(version: string, problems: Problem[]): ReloadResult {
    if (this.refused?.version !== version) {
      this.failures++;
      const errors = problems.filter((p) => p.severity === 'error');
      this.log.error(
        {
          source: this.options.location,
          version,
          keptVersion: this.snapshot.version,
          problems: errors.map(formatProblem),
        },
        `referential change refused: ${errors.length} error(s); the previous version stays in effect`,
      );
    }
    this.refused = { version, problems };
    return { changed: false, problems };
  }
}

function snapshotOf(
  read: ReferentialContent,
  options: Pick<ReferentialSourceOptions, 'location' | 'bucketIdentity' | 'declaredProjects'>,
): Snapshot {
  const checks = {
    ...(options.bucketIdentity ? { bucketIdentity: options.bucketIdentity } : {}),
    ...(options.declaredProjects ? { declaredProjects: options.declaredProjects } : {}),
  };
  const { referential, problems } =
    'text' in read
      ? compileReferentialText(read.text, options.location, checks)
      : compileReferentialRows(read.rows, options.location, checks);
  return {
    referential,
    problems,
    version: read.version,
    digest: digestWhenAsked(read),
    loadedAt: Date.now(),
  };
}

/**
 * A text's digest made when first asked for (by the first check, not at
 * start: a run that never checks never loads node:crypto for it), keeping
 * the text until then; a table's rows, larger than their digest, at once.
 */
function digestWhenAsked(read: ReferentialContent): () => string {
  if (!('text' in read)) {
    const digest = digestOf(read);
    return () => digest;
  }
  let text: string | undefined = read.text;
  let digest = '';
  return () => {
    if (text !== undefined) {
      digest = sha256Hex(text);
      text = undefined;
    }
    return digest;
  };
}

/** Text as read; a table's rows as their positions and fields, so an unchanged table is not compiled again. */
function digestOf(read: ReferentialContent): string {
  if ('text' in read) return sha256Hex(read.text);
  const hash = crypto().createHash('sha256');
  for (const row of read.rows) hash.update(JSON.stringify([row.line, row.fields]));
  return hash.digest('hex');
}

function problemAt(file: string, message: string): Problem {
  return { file, line: 1, column: '', message, severity: 'error' };
}

export interface OpenReferentialSourceOptions extends ReferentialAccess {
  /** `RuntimeConfig.routes`: a path, a `gs://` / `s3://` URI or a `bq://PROJECT.DATASET.TABLE` table. */
  location: string;
  pollMs?: number;
  logger?: Logger;
  bucketIdentity?: BucketIdentity;
  declaredProjects?: readonly string[];
}

/** Opens the source for a path, a `gs://` / `s3://` URI or a `bq://` table (not started: call `start()`). */
export async function openReferentialSource(
  options: OpenReferentialSourceOptions,
): Promise<ReferentialSource> {
  return ReferentialSource.open({
    location: options.location,
    reader: referentialReaderFor(options.location, options),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.bucketIdentity ? { bucketIdentity: options.bucketIdentity } : {}),
    ...(options.declaredProjects ? { declaredProjects: options.declaredProjects } : {}),
  });
}
