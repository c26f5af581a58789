import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { ProjectConfig } from '../storage/backends.js';
import { errorCode, errorMessage, ReferentialInvalidError, type Problem } from '../model/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { ObjectStore } from '../storage/types.js';
import { loadReferentialText, readReferentialText } from './load.js';
import type { BucketIdentity } from './bucket-identity.js';
import { referentialOf } from './referential.js';
import { isReferentialUri, readRemoteText, remoteVersion, resolveRemoteReferential } from './remote.js';
import type { Referential } from './types.js';
import { formatProblem, validateRows, type ValidateOptions } from './validate.js';

/** Default interval between two checks for a new version of the referential. */
export const DEFAULT_ROUTES_POLL_MS = 30_000;

/**
 * Where a referential's text comes from. `version` is a cheap check (fs
 * mtime, size and inode; a GCS generation; an S3 version id or ETag) that
 * changes whenever the content may have; undefined when the referential is
 * gone. `read` returns undefined when the content changed while it was read
 * (a file being written): the next check tries again. A reader that
 * `settles` is read only once two checks in a row saw the same new version
 * (a local file: its size and mtime stopped changing), so a file still
 * being written is not read half-way.
 */
export interface ReferentialReader {
  version(): Promise<string | undefined>;
  read(): Promise<{ text: string; version: string } | undefined>;
  settles?: boolean;
}

export function fileReader(path: string): ReferentialReader {
  const version = async () => {
    try {
      const s = await stat(path, { bigint: true });
      return `${s.mtimeNs}-${s.size}-${s.ino}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    version,
    settles: true,
    async read() {
      const before = await version();
      const text = await readReferentialText(path);
      const after = await version();
      return before !== undefined && before === after ? { text, version: after } : undefined;
    },
  };
}

/** Reads `gs://` / `s3://` referentials through the store of the project that holds them. */
export function storeReader(
  store: () => Promise<ObjectStore>,
  ref: Parameters<typeof readRemoteText>[1],
): ReferentialReader {
  return {
    version: async () => remoteVersion(await store(), ref),
    read: async () => readRemoteText(await store(), ref),
  };
}

/** Parses, validates and compiles referential text, as `loadReferential` does for a file. */
export function compileReferentialText(
  text: string,
  source: string,
  options: Omit<ValidateOptions, 'source'> = {},
): { referential: Referential; problems: Problem[] } {
  const rows = loadReferentialText(text, source);
  const { routes, problems } = validateRows(rows, { ...options, source });
  if (problems.some((p) => p.severity === 'error')) throw new ReferentialInvalidError(source, problems);
  return { referential: referentialOf(routes, source), problems };
}

export interface ReferentialSourceOptions {
  /** Path or `gs://` / `s3://` URI, as problems and logs name it. */
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
  digest: string;
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
    for (let attempt = 1; ; attempt++) {
      const read = await options.reader.read();
      if (read) return new ReferentialSource(options, snapshotOf(read.text, read.version, options));
      if (attempt >= 5)
        throw new Error(`[switchyard] [referential] ${options.location} kept changing while read`);
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }

  /** A referential that never changes (tests, embedding, `demo`). */
  static fixed(referential: Referential, problems: Problem[] = []): ReferentialSource {
    return new ReferentialSource(
      { location: referential.source },
      { referential, problems, version: 'fixed', digest: '', loadedAt: Date.now() },
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
      if (digestOf(read.text) === this.snapshot.digest) {
        this.snapshot = { ...this.snapshot, version: read.version };
        this.refused = undefined;
        return { changed: false, problems: [] };
      }
      let next: Snapshot;
      try {
        next = snapshotOf(read.text, read.version, this.options);
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
  text: string,
  version: string,
  options: Pick<ReferentialSourceOptions, 'location' | 'bucketIdentity' | 'declaredProjects'>,
): Snapshot {
  const { referential, problems } = compileReferentialText(text, options.location, {
    ...(options.bucketIdentity ? { bucketIdentity: options.bucketIdentity } : {}),
    ...(options.declaredProjects ? { declaredProjects: options.declaredProjects } : {}),
  });
  return { referential, problems, version, digest: digestOf(text), loadedAt: Date.now() };
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function problemAt(file: string, message: string): Problem {
  return { file, line: 1, column: '', message, severity: 'error' };
}

export interface OpenReferentialSourceOptions {
  /** `RuntimeConfig.routes`: a path or a `gs://` / `s3://` URI. */
  location: string;
  /** Project holding a URI's bucket (`routesProject`). */
  project?: string;
  projects: Record<string, ProjectConfig>;
  storeFor(project: string): Promise<ObjectStore>;
  pollMs?: number;
  logger?: Logger;
  bucketIdentity?: BucketIdentity;
  declaredProjects?: readonly string[];
}

/** Opens the source for a path or a `gs://` / `s3://` URI (not started: call `start()`). */
export async function openReferentialSource(
  options: OpenReferentialSourceOptions,
): Promise<ReferentialSource> {
  let reader: ReferentialReader;
  if (isReferentialUri(options.location)) {
    const ref = resolveRemoteReferential(options.location, options.projects, options.project);
    reader = storeReader(() => options.storeFor(ref.project), ref);
  } else {
    reader = fileReader(options.location);
  }
  return ReferentialSource.open({
    location: options.location,
    reader,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.bucketIdentity ? { bucketIdentity: options.bucketIdentity } : {}),
    ...(options.declaredProjects ? { declaredProjects: options.declaredProjects } : {}),
  });
}
