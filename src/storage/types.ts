import type { Readable } from 'node:stream';

export type { Location } from '../model/keys.js';

/**
 * What switchyard writes into every destination object it creates in GCS or S3
 * (user metadata keys `switchyard-source`, `switchyard-generation`,
 * `switchyard-crc32c` and/or `switchyard-md5`, `switchyard-route`,
 * `switchyard-source-updated`). A delivery whose destination already carries
 * the same source and generation, and the bytes that content identity names,
 * is done. Local folders keep no metadata; they rely on the ledger.
 */
export interface Provenance {
  /** `project/bucket/key` of the source object. */
  source: string;
  generation: string;
  /**
   * The source's content identity, at least one of the two: base64 of the
   * big-endian CRC32C (as GCS and S3 report it), and/or base64 MD5 (an S3
   * single-part ETag of an object not encrypted with SSE-KMS or SSE-C, a GCS
   * md5Hash), taken from what the server states without reading the object
   * when it can (same-bytes.ts).
   */
  crc32c?: string;
  md5?: string;
  /**
   * The source generation's ETag, as the only identity when neither CRC32C
   * nor MD5 of the source was known: the object is a server-side copy the
   * server vouched for (ObjectStore.copyVouched: pinned to that ETag or
   * version, a pin the server enforces), not a checksum anyone computed.
   */
  etag?: string;
  route: string;
  /**
   * The row's transform (`gzip`, `csv-to-jsonl`…) when the object is the
   * source transformed: `crc32c` is then the CRC32C of the transformed bytes
   * (what the destination must hold), not the source's.
   */
  transform?: string;
  /** ISO time the source generation was last written; an older one never overwrites a newer one. */
  sourceUpdated?: string;
}

export interface ObjectInfo {
  bucket: string;
  key: string;
  /**
   * Opaque, and equal for one object whichever call reports it (list, stat,
   * write, copy): GCS generation; S3 version id in a versioned bucket, else
   * `<etag>@<LastModified in whole epoch seconds>` (s3-generation.ts: the same
   * bytes written again in a later second are a new generation); fs
   * `mtimeNs-size-inode`.
   */
  generation: string;
  size: number;
  /** base64 big-endian CRC32C when the backend knows it without reading. */
  crc32c?: string;
  /**
   * Set on what a write or copy returns when `crc32c` is the destination's
   * own checksum of what it now holds: reported by the backend for the
   * object just written (S3 checksum headers, GCS object metadata), or
   * computed by this process over the very bytes it wrote, fsynced and put in
   * place (FsStore.copy, FsStore.write). Verification compares it with the
   * source's (for a copy, the CRC32C of the bytes it read from the source
   * generation) and reads nothing again.
   */
  destinationChecksum?: boolean;
  /**
   * base64 MD5 when the backend knows it for sure: GCS `md5Hash`; on S3 only
   * from a look (stat, write, copy) at a single-part object not encrypted
   * with SSE-KMS or SSE-C, whose ETag is then its MD5; never from a listing
   * or a multipart ETag. With `size` and `crc32c`, what proveSameBytes
   * (same-bytes.ts) uses to tell from one look that an object holds bytes.
   */
  md5?: string;
  etag?: string;
  /** Creation time of this generation (drives `{yyyy}` and friends). */
  created: Date;
  updated: Date;
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  /** User metadata, provenance keys included. */
  metadata: Record<string, string>;
  provenance?: Provenance;
}

export interface StoreCapabilities {
  /** copy() between two locations of this backend without bytes through the process. */
  serverSideCopy: boolean;
  /**
   * copy() within this backend still reads and writes the bytes here (a local
   * copy is read, checksummed and written by this process), so it takes one of
   * the router's byte slots like a streamed copy.
   */
  copyUsesProcess: boolean;
  /** write()/copy() honour `ifGenerationMatch`. */
  conditionalWrite: boolean;
  /** the backend keeps old generations (GCS generations, S3 versioning). */
  versioning: boolean;
  /** the backend computes and returns CRC32C itself. */
  checksumHeaders: boolean;
  /** multipart copy of large objects (S3 UploadPartCopy, GCS rewrite). */
  partCopy: boolean;
  /** rename() within one filesystem. */
  rename: boolean;
  /** objects carry user metadata (provenance). */
  metadata: boolean;
  /**
   * list() describes each object as stat() would (generation, size,
   * checksums, content headers, metadata): a scan routes what it listed
   * without looking at each file again. Not S3, whose listing carries
   * neither content headers nor user metadata.
   */
  listingAsLook: boolean;
}

/**
 * Object bytes that passed through this process: `bytesIn` read from the
 * backend (read streams), `bytesOut` sent to it (writes). A server-side copy
 * adds nothing to either, which is how tests and benchmarks prove it.
 */
export interface StoreStats {
  bytesIn: number;
  bytesOut: number;
}

export interface WriteOptions {
  /** `'0'`: only if the key does not exist; otherwise only if the current generation equals it. */
  ifGenerationMatch?: string;
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  provenance?: Provenance;
  /** Size known in advance (lets S3/GCS pick single-shot vs multipart). */
  size?: number;
  /**
   * What a stat of the destination just answered (null: nothing there). A
   * backend that would look at the destination before a conditional write
   * (S3) takes it instead when it agrees with `ifGenerationMatch`.
   */
  destinationInfo?: ObjectInfo | null;
}

export interface CopyOptions extends WriteOptions {
  /** The copy fails with PreconditionError when the source is no longer this generation. */
  ifSourceGenerationMatch?: string;
  /**
   * What a stat of the source just answered (the router's). A backend that
   * would otherwise look at the source first (S3) uses it instead when it is
   * the generation expected; the copy itself still fails if the source
   * changed since.
   */
  sourceInfo?: ObjectInfo;
  /**
   * The caller reads that source generation while the copy runs and compares
   * the copy's answer with what it read (deliver.ts): a copy of other bytes
   * fails there, so `sourceInfo` stands for a look at the source even where
   * the server does not enforce the copy's pin.
   */
  sourceReadAlongside?: boolean;
  /**
   * Where the server does not enforce the copy's pin to the source
   * generation and its answer proves no bytes (an S3 multipart or SSE-KMS
   * source, no CRC32C), the store looks at the source after the copy
   * (ObjectStore.copyConfirmable): still the generation it was before the
   * copy (`sourceInfo`, `ifSourceGenerationMatch`), the copy was of it;
   * else a PreconditionError. The caller (deliver.ts) asks for it only
   * where no delivery deletes the source: a source a move deletes is read.
   */
  sourceLookAfter?: boolean;
  /**
   * A move (rename) calls it once the destination stands durably and before
   * the source is removed: what must be recorded before the source goes (the
   * ledger's `done`). If it fails, the source is kept and the error thrown.
   */
  beforeSourceRemoved?: () => Promise<void>;
}

export interface DeleteOptions {
  /** Delete only when the current generation equals it; otherwise PreconditionError. */
  ifGenerationMatch?: string;
}

export interface ListOptions {
  prefix?: string;
  pageSize?: number;
  pageToken?: string;
}

/**
 * An entry a listing met but cannot offer as an object, left untouched:
 * `E_SYMLINK`, a symbolic link below the bucket folder (never followed);
 * `E_KEY_ENCODING`, a name whose bytes are not UTF-8 (it has no key).
 */
export interface ListProblem {
  /** Where it sits, as a key; bytes that are not UTF-8 shown as `\xHH` (e.g. `in/r\xE9sum\xE9.csv`). */
  key: string;
  code: 'E_SYMLINK' | 'E_KEY_ENCODING';
  /** Names the store and the entry, what was expected and what was found. */
  message: string;
  /** Generation and size when the entry is a file (so it can be recorded as unrouted). */
  generation?: string;
  size?: number;
}

export interface ListPage {
  items: ObjectInfo[];
  nextPageToken?: string;
  /**
   * Entries met on this page that are not listed (see ListProblem), each
   * reported on the one page its key falls in. Only stores that can meet
   * them set it (the local folder).
   */
  problems?: ListProblem[];
}

export interface ReadOptions {
  /** Fail with PreconditionError when the object is no longer this generation. */
  generation?: string;
}

/**
 * The contract every storage backend keeps (test/conformance/store.ts proves it):
 *
 * - keys are validated by `assertSafeKey` before any I/O (E_KEY_UNSAFE);
 * - `stat` returns undefined for a missing object; `read` of a missing object
 *   throws NotFoundError;
 * - `write` is atomic: a reader sees the old object or the whole new one,
 *   never a partial one, and a failed write leaves nothing behind;
 * - `write` and `copy` return the ObjectInfo of what is now stored;
 * - `delete` with `ifGenerationMatch` deletes nothing and throws
 *   PreconditionError when the generation differs; deleting a missing object
 *   throws NotFoundError;
 * - `list` pages through keys in lexicographic order, skipping keys ending in
 *   `/` and the backend's own temporary files;
 * - backend failures are wrapped: TransientError (retry) or PermanentError.
 */
/** One move of ObjectStore.renameMany: `from` (in the source store) to `to`, if `from` is still `generation`. */
export interface RenameMove {
  from: { bucket: string; key: string };
  to: { bucket: string; key: string };
  generation: string;
}

export interface ObjectStore {
  readonly backend: 'fs' | 'gcs' | 's3' | 'memory';
  /** Name used in messages, e.g. `fs:/data/finance`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Object bytes that passed through this process, when the backend counts them (see StoreStats). */
  readonly stats?: StoreStats;

  stat(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /**
   * The look at a destination before a write or copy there (undefined:
   * nothing there). Where present it may answer "nothing" from a listing of
   * the key's folder made a moment ago rather than a look at the key (S3 on
   * a server that does not enforce `ifGenerationMatch: '0'`: one listing per
   * page of keys instead of a HEAD each); anything it finds it describes as
   * `stat` does. Absent: `stat`. Never for the truth of a delivery
   * (destination-truth.ts), only for the look a write makes first.
   */
  statBeforeWrite?(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  read(bucket: string, key: string, options?: ReadOptions): Promise<Readable>;
  write(bucket: string, key: string, body: Readable | Buffer, options?: WriteOptions): Promise<ObjectInfo>;
  delete(bucket: string, key: string, options?: DeleteOptions): Promise<void>;
  list(bucket: string, options?: ListOptions): Promise<ListPage>;

  /** True when `copy`/`rename` from `source` are possible without bytes through this process. */
  canCopyFrom(source: ObjectStore): boolean;
  /**
   * True when a successful `copy` from `source` of an object of `size`
   * bytes is the server's word that the destination holds the source
   * generation's bytes: one server-side request pinned to the generation
   * (S3 CopyObject with `x-amz-copy-source-if-match` or a version id) on a
   * server that enforces the pin (`conditionalWrite`). The caller then
   * needs no checksum of the source before the copy, nor a read after it.
   * Absent: false.
   */
  copyVouched?(source: ObjectStore, size: number): boolean;
  /**
   * True when a `copy` from `source` of `size` bytes is one server-side
   * request the server makes whole, which CopyOptions.sourceLookAfter pins
   * to the source generation. Absent: false.
   */
  copyConfirmable?(source: ObjectStore, size: number): boolean;
  /** Server-side copy from `source` (a store for which canCopyFrom is true). */
  copy(
    source: ObjectStore,
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options?: CopyOptions,
  ): Promise<ObjectInfo>;
  /** Atomic rename within one filesystem; absent when `capabilities.rename` is false. */
  rename?(
    source: ObjectStore,
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options?: CopyOptions,
  ): Promise<ObjectInfo>;

  /**
   * rename() of many objects in one pass, each move no-clobber and pinned to
   * its source generation as rename() with `ifGenerationMatch: '0'`: every
   * destination is linked and made durable first, then `beforeSourcesRemoved`
   * is called once with the indexes of the moves whose destination stands
   * (a record made there stands before any of their sources goes; if it
   * throws, every one of those sources is kept and the move fails with its
   * error), then those sources are removed. Resolves with each move's
   * outcome, in order: the object at its destination, or the error rename()
   * would have thrown (a move that failed changed nothing). Absent where a
   * store has no such batch.
   */
  renameMany?(
    source: ObjectStore,
    moves: RenameMove[],
    beforeSourcesRemoved: (standing: number[]) => Promise<void>,
  ): Promise<Array<ObjectInfo | Error>>;

  /**
   * What the bucket is, whatever it is called: two buckets with the same
   * identity are one place (a local bucket folder that is a symbolic link to
   * another). Stable for the store's life. Absent: `backend:bucket` (a cloud
   * bucket name is its identity); see bucketIdentityOf.
   */
  bucketIdentity?(bucket: string): Promise<string>;

  /**
   * bucketIdentity's answer when the store holds it settled, without
   * waiting (a local folder resolved once and kept); undefined when it must
   * be asked. See bucketIdentityNowOf.
   */
  bucketIdentityNow?(bucket: string): string | undefined;

  /**
   * Reads the object whole to compute its CRC32C, when the store can do it
   * more cheaply than through read() (the local folder: one reused buffer,
   * no stream). readChecksum() uses it when present.
   */
  readChecksum?(bucket: string, key: string): Promise<{ size: number; crc32c: string }>;

  /**
   * Removes what killed processes left behind (fs temp files), never what a
   * live process is writing; `staleMs`: age after which a file whose writer
   * cannot be checked counts as abandoned. Safe to call any time.
   */
  cleanup?(bucket: string, staleMs?: number): Promise<number>;
  close?(): Promise<void>;
}
