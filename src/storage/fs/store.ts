import { realpathSync, type BigIntStats, type promises as fsp } from 'node:fs';
import { resolve as pathResolve } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, PermanentError, PreconditionError } from '../../model/errors.js';
import {
  BodyError,
  chunkBytesFor,
  commitFile,
  crc32cOfHandle,
  removeAt,
  stageCopy,
  stageFile,
} from './atomic.js';
import { encodeCrc32c } from '../checksum.js';
import {
  closeDir,
  closeKeyDir,
  openDirPath,
  openKeyDir,
  syncDir,
  withKeyDir,
  type DirHandle,
} from './dirs.js';
import {
  createdOf,
  ensureDir,
  isMissing,
  generationOf,
  resolveKey,
  updatedOf,
  wrapFsError,
  type ResolvedKey,
} from './paths.js';
import { DirListingCache, removeTempFiles, walkKeys } from './walk.js';
import type {
  CopyOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  ReadOptions,
  RenameMove,
  StoreCapabilities,
  WriteOptions,
} from '../types.js';
import {
  deleteChecked,
  fileAt,
  linkChecked,
  moveLinked,
  openFileAt,
  pathStillHolds,
  precheck,
  renameFailure,
  syncEach,
  unlinkIfSame,
  type HeldEntry,
  type KeyWhere,
} from './ops.js';
import { BucketIdentities } from './identity.js';

export { FS_TEMP_PREFIX } from './paths.js';

/** An open bucket folder and how many operations use it now. */
interface SharedBucket {
  readonly dir: DirHandle;
  users: number;
  /** performance.now() when it was opened. */
  readonly openedAt: number;
}

export interface FsStoreOptions {
  /** The project folder, `DATA/<project>`: buckets are its sub-folders, keys paths under them. */
  root: string;
  name?: string;
  /** Read-stream chunk size (default 1 MiB: a quarter of that costs ~2× in copy throughput). */
  readChunkBytes?: number;
}

const DEFAULT_PAGE_SIZE = 1000;
/**
 * How long an open bucket folder handle may be handed to operations that
 * start while others still use it (see acquireBucket): an operation acts in
 * the folder that was at the bucket's real path at most this long before it
 * started, as one that opened it itself acts in it for as long as it runs.
 */
export const BUCKET_HANDLE_REUSE_MS = 50;

/** Age after which a temp file whose writer cannot be checked (another host, an older name) counts as abandoned. */
const DEFAULT_TEMP_STALE_MS = 60 * 60_000;

/**
 * Local folders: `root/<bucket>/<key>`. Keeps no metadata (provenance lives in
 * the ledger); the generation is `mtimeNs-size-inode`.
 *
 * Every operation reaches its file from the bucket folder one held folder
 * at a time and acts through the last one (fs-dirs.ts): a symbolic link
 * below the bucket folder, at any segment, is refused with E_SYMLINK and
 * never followed, even when swapped in while the operation runs. The bucket
 * folder itself may be a symbolic link set up by the operator: its real path
 * is resolved once, when first opened.
 *
 * Writes and copies go to a temp file (FS_TEMP_PREFIX) in the target folder,
 * fsynced, then renamed into place (readers see the old file or the whole new
 * one); a killed process leaves only temp files, which list() skips and
 * cleanup() removes. A copy reads the opened source once, in large chunks,
 * computing the CRC32C of the bytes it writes (no second read of either side),
 * and checks the source's generation did not change meanwhile. rename()
 * moves within one filesystem and keeps the generation; across filesystems
 * it throws E_UNSUPPORTED.
 */
export class FsStore implements ObjectStore {
  readonly backend = 'fs' as const;
  readonly name: string;
  readonly root: string;
  readonly capabilities: StoreCapabilities = {
    serverSideCopy: true,
    copyUsesProcess: true,
    conditionalWrite: true,
    versioning: false,
    checksumHeaders: false,
    partCopy: false,
    rename: true,
    metadata: false,
    listingAsLook: true,
  };
  private readonly readChunkBytes: number;
  private readonly listings = new DirListingCache();
  /** Real path of each bucket folder, resolved when first opened. */
  private readonly realBuckets = new Map<string, string>();
  private readonly identities: BucketIdentities;
  /** The bucket folders open now, by bucket path, shared by the operations running in them (acquireBucket). */
  private readonly openBuckets = new Map<string, SharedBucket>();

  constructor(options: FsStoreOptions) {
    this.root = pathResolve(options.root);
    this.name = options.name ?? `fs:${this.root}`;
    this.readChunkBytes = options.readChunkBytes ?? 1024 * 1024;
    this.identities = new BucketIdentities(this.root);
  }

  /** `fs:` and the real path of the bucket folder, symbolic links resolved (once, then kept). */
  bucketIdentity(bucket: string): Promise<string> {
    return this.identities.of(bucket);
  }

  /** The bucket folder's identity once it exists and was resolved; undefined before. */
  bucketIdentityNow(bucket: string): string | undefined {
    return this.identities.known(bucket);
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const r = resolveKey(this.root, bucket, key);
    const where = this.whereOf(bucket, key);
    try {
      const st = await this.inKeyDir(r, where, false, (dir, name) => fileAt(dir, name, where));
      return st ? this.info(bucket, key, st) : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw wrapFsError(error, 'stat', where.location, r.file);
    }
  }

  async read(bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
    const r = resolveKey(this.root, bucket, key);
    const { handle, st } = await this.openForRead(r, bucket, key, options.generation);
    // each read of the stream allocates its whole highWaterMark: the file's size, up to a chunk (see chunkBytesFor)
    return handle.createReadStream({ highWaterMark: chunkBytesFor(Number(st.size), this.readChunkBytes) });
  }

  async readChecksum(bucket: string, key: string): Promise<{ size: number; crc32c: string }> {
    const r = resolveKey(this.root, bucket, key);
    const { handle, st } = await this.openForRead(r, bucket, key, undefined);
    try {
      const state = await crc32cOfHandle(handle, Number(st.size));
      const after = await handle.stat({ bigint: true });
      if (generationOf(after) !== generationOf(st)) {
        throw new PreconditionError(this.where(bucket, key), generationOf(st), generationOf(after));
      }
      return { size: Number(after.size), crc32c: encodeCrc32c(state) };
    } catch (error) {
      throw wrapFsError(error, 'read', this.where(bucket, key), r.file);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async write(
    bucket: string,
    key: string,
    body: Readable | Buffer,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    const r = resolveKey(this.root, bucket, key);
    const where = this.whereOf(bucket, key);
    const expected = options.ifGenerationMatch;
    try {
      return await this.inKeyDir(r, where, true, async (dir, name) => {
        precheck(dir, name, where, expected);
        const staged = await stageFile(dir, body);
        await commitFile(dir, staged.tmp, name, where.location, expected);
        return { ...this.info(bucket, key, staged.st), crc32c: staged.crc32c };
      });
    } catch (error) {
      if (error instanceof BodyError) throw error.original;
      throw wrapFsError(error, 'write', where.location, r.file);
    }
  }

  /**
   * Deletes the file. With `ifGenerationMatch` the generation is checked, then
   * the file is renamed aside, checked again and unlinked; if a writer slipped
   * in between, the file is put back (unless a newer one already took its
   * place) and PreconditionError is thrown. Readers may see it missing for
   * those microseconds.
   */
  async delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<void> {
    const r = resolveKey(this.root, bucket, key);
    const where = this.whereOf(bucket, key);
    try {
      await this.inKeyDir(r, where, false, async (dir, name) => {
        const st = fileAt(dir, name, where);
        if (!st) throw new NotFoundError(where.location);
        deleteChecked(dir, name, where.location, st, options.ifGenerationMatch);
        await syncDir(dir);
      });
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(where.location, { cause: error });
      throw wrapFsError(error, 'delete', where.location, r.file);
    }
  }

  /**
   * Pages through the bucket's files. Symbolic links and names that are not
   * UTF-8 met on the way are never followed nor listed: they come back in
   * `problems` (E_SYMLINK, E_KEY_ENCODING), each on the page its key falls in.
   */
  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    const r = resolveKey(this.root, bucket, 'x');
    const pageSize = Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE);
    const location = `${this.name}/${bucket}`;
    let dir: DirHandle;
    try {
      dir = this.openBucket(r, false);
    } catch (error) {
      if (isMissing(error)) return { items: [] };
      throw wrapFsError(error, 'list', location, r.bucketDir);
    }
    try {
      const walk = { prefix: options.prefix ?? '', after: options.pageToken, limit: pageSize, location };
      const { files, more, problems } = await walkKeys(dir, walk, this.listings);
      const items = files.map((f) => this.info(bucket, f.key, f.st));
      const page: ListPage = more ? { items, nextPageToken: files[files.length - 1]!.key } : { items };
      if (problems.length > 0) page.problems = problems;
      return page;
    } catch (error) {
      throw wrapFsError(error, 'list', location, r.bucketDir);
    } finally {
      closeDir(dir);
    }
  }

  canCopyFrom(source: ObjectStore): boolean {
    return source instanceof FsStore;
  }

  /**
   * Copies the opened source file into a temp file next to the destination
   * in one pass (read, CRC32C, write; see stageCopy), fsyncs it, then puts it
   * in place; `crc32c` is that of the bytes written, so the destination's own.
   * If the source's generation is not `ifSourceGenerationMatch` when opened,
   * or changed while copying, PreconditionError and nothing is written.
   */
  async copy(
    source: ObjectStore,
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options: CopyOptions = {},
  ): Promise<ObjectInfo> {
    const src = this.fsSource(source, 'copy');
    const rs = resolveKey(src.root, from.bucket, from.key);
    const rd = resolveKey(this.root, to.bucket, to.key);
    const where = this.whereOf(to.bucket, to.key);
    const srcWhere = src.where(from.bucket, from.key);
    const expected = options.ifGenerationMatch;
    const { handle, st: before } = await src.openForRead(
      rs,
      from.bucket,
      from.key,
      options.ifSourceGenerationMatch,
    );
    try {
      return await this.inKeyDir(rd, where, true, async (dir, name) => {
        precheck(dir, name, where, expected);
        const staged = await stageCopy(dir, handle, Number(before.size));
        // the copy holds what was read; it is the source when the source is the same generation
        // (size, mtime, inode) after the read as before it, and every byte of that size was read
        const after = generationOf(await handle.stat({ bigint: true }));
        const whole = staged.st.size === before.size;
        if (!whole || after !== generationOf(before) || !(await pathStillHolds(rs.file, after))) {
          removeAt(dir, staged.tmp);
          throw new PreconditionError(srcWhere, generationOf(before), after);
        }
        await commitFile(dir, staged.tmp, name, where.location, expected);
        return {
          ...this.info(to.bucket, to.key, staged.st),
          crc32c: staged.crc32c,
          destinationChecksum: true,
        };
      });
    } catch (error) {
      if (error instanceof BodyError) throw wrapFsError(error.original, 'copy', srcWhere, rs.file);
      throw wrapFsError(error, 'copy', where.location, rd.file);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Moves a file within one filesystem, keeping its generation. Steps: learn
   * the source generation (lstat, unless `ifSourceGenerationMatch` names it);
   * hard-link it into the destination folder (EXDEV → E_UNSUPPORTED, so the
   * caller copies); check the linked inode is that generation; put it in
   * place (no overwrite unless `ifGenerationMatch` names the destination's
   * generation); unlink the source only if it is still that inode. A crash
   * midway leaves the object at both places (never at neither).
   */
  async rename(
    source: ObjectStore,
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options: CopyOptions = {},
  ): Promise<ObjectInfo> {
    const src = this.fsSource(source, 'rename');
    const rs = resolveKey(src.root, from.bucket, from.key);
    const rd = resolveKey(this.root, to.bucket, to.key);
    const srcWhere = src.whereOf(from.bucket, from.key);
    const where = this.whereOf(to.bucket, to.key);
    try {
      const linked = await src.inKeyDir(rs, srcWhere, false, (sourceDir, sourceName) =>
        this.inKeyDir(rd, where, true, (dir, name) =>
          moveLinked({ dir: sourceDir, name: sourceName, where: srcWhere }, { dir, name, where }, options),
        ),
      );
      return this.info(to.bucket, to.key, linked);
    } catch (error) {
      throw renameFailure(error, srcWhere, where, rd);
    }
  }

  /**
   * ObjectStore.renameMany: rename() with `ifGenerationMatch: '0'` for each
   * move, its steps taken for all of them at once: link and check each
   * (linkChecked), fsync each destination folder once, the caller's record,
   * then unlink each source still holding its inode (unlinkIfSame) and fsync
   * each source folder once. One pass of system calls per step, where a
   * rename() per file awaits its own folder fsyncs and record; the folders
   * stay held from the link to the unlink, as rename() holds them.
   */
  async renameMany(
    source: ObjectStore,
    moves: RenameMove[],
    beforeSourcesRemoved: (standing: number[]) => Promise<void>,
  ): Promise<Array<ObjectInfo | Error>> {
    const src = this.fsSource(source, 'rename');
    const outcomes: Array<ObjectInfo | Error> = [];
    const standing: Array<{ index: number; from: HeldEntry; to: HeldEntry; linked: BigIntStats }> = [];
    const releases: Array<() => void> = [];
    try {
      moves.forEach((move, index) => {
        const srcWhere = src.whereOf(move.from.bucket, move.from.key);
        const where = this.whereOf(move.to.bucket, move.to.key);
        let rd: ResolvedKey | undefined;
        try {
          const from = src.holdKeyDir(
            resolveKey(src.root, move.from.bucket, move.from.key),
            srcWhere,
            false,
            releases,
          );
          rd = resolveKey(this.root, move.to.bucket, move.to.key);
          const to = this.holdKeyDir(rd, where, true, releases);
          standing.push({ index, from, to, linked: linkChecked(from, to, move.generation) });
        } catch (error) {
          outcomes[index] = renameFailure(error, srcWhere, where, rd);
        }
      });
      await syncEach(standing.map((s) => s.to.dir));
      try {
        await beforeSourcesRemoved(standing.map((s) => s.index));
      } catch (error) {
        for (const s of standing)
          outcomes[s.index] = error instanceof Error ? error : new Error(String(error));
        return outcomes;
      }
      for (const s of standing) {
        try {
          unlinkIfSame(s.from, s.linked);
          const to = moves[s.index]?.to as { bucket: string; key: string };
          outcomes[s.index] = this.info(to.bucket, to.key, s.linked);
        } catch (error) {
          outcomes[s.index] = renameFailure(error, s.from.where, s.to.where, undefined);
        }
      }
      await syncEach(standing.map((s) => s.from.dir));
      return outcomes;
    } finally {
      for (const release of releases) release();
    }
  }

  /**
   * Removes temp files left by killed processes: those whose writer on this
   * host no longer runs, and those untouched for `staleMs` (default an hour),
   * so a live writer's file is never taken from under it. Returns how many.
   */
  async cleanup(bucket: string, staleMs = DEFAULT_TEMP_STALE_MS): Promise<number> {
    const r = resolveKey(this.root, bucket, 'x');
    const location = `${this.name}/${bucket}`;
    try {
      const dir = this.openBucket(r, false);
      try {
        return await removeTempFiles(dir, staleMs, location);
      } finally {
        closeDir(dir);
      }
    } catch (error) {
      if (isMissing(error)) return 0;
      throw wrapFsError(error, 'cleanup', location, r.bucketDir);
    }
  }

  private where(bucket: string, key: string): string {
    return `${this.name}/${bucket}/${key}`;
  }

  private whereOf(bucket: string, key: string): KeyWhere {
    return { location: this.where(bucket, key), key };
  }

  private fsSource(source: ObjectStore, op: string): FsStore {
    if (source instanceof FsStore) return source;
    throw new PermanentError(
      'E_UNSUPPORTED',
      `[switchyard] [fs] ${op} from ${source.name} into ${this.name}: expected an fs store`,
      {
        source: source.name,
        destination: this.name,
      },
    );
  }

  /**
   * Opens the bucket folder by its real path, resolved the first time (the
   * operator may have made the bucket folder a symbolic link) and again only
   * when that path no longer opens. With `create`, a missing one is created.
   * Handles of folders below it are never kept: a folder can be moved away.
   */
  private openBucket(r: ResolvedKey, create: boolean): DirHandle {
    const known = this.realBuckets.get(r.bucketDir);
    if (known !== undefined) {
      try {
        return openDirPath(known);
      } catch (error) {
        if (!isMissing(error)) throw error;
        this.realBuckets.delete(r.bucketDir);
      }
    }
    if (create) ensureDir(r.bucketDir, r.bucketDir);
    const real = realpathSync.native(r.bucketDir);
    const dir = openDirPath(real);
    this.realBuckets.set(r.bucketDir, real);
    return dir;
  }

  /** Runs `act` in the held folder of the key's last segment (see withKeyDir); every handle is closed after. */
  private async inKeyDir<T>(
    r: ResolvedKey,
    where: KeyWhere,
    create: boolean,
    act: (dir: DirHandle, name: string) => Promise<T> | T,
  ): Promise<T> {
    const bucket = this.acquireBucket(r, create);
    const name = r.segments[r.segments.length - 1] as string;
    try {
      return await withKeyDir(bucket.dir, r.segments, where, create, (dir) => act(dir, name));
    } finally {
      this.releaseBucket(r.bucketDir, bucket);
    }
  }

  /**
   * The held folder of the key's last segment, as inKeyDir holds it, for a
   * caller that acts in it over several steps: what closes it is pushed on
   * `releases`, for the caller to run once done.
   */
  private holdKeyDir(
    r: ResolvedKey,
    where: KeyWhere,
    create: boolean,
    releases: Array<() => void>,
  ): HeldEntry {
    const bucket = this.acquireBucket(r, create);
    let dir: DirHandle;
    try {
      dir = openKeyDir(bucket.dir, r.segments, where, create);
    } catch (error) {
      this.releaseBucket(r.bucketDir, bucket);
      throw error;
    }
    releases.push(() => {
      closeKeyDir(dir, bucket.dir);
      this.releaseBucket(r.bucketDir, bucket);
    });
    return { dir, name: r.segments[r.segments.length - 1] as string, where };
  }

  /**
   * The bucket folder's handle for one operation: the one operations running
   * now hold, when it was opened at most BUCKET_HANDLE_REUSE_MS ago, else a
   * new one (openBucket). Many files routed at once open their bucket folder
   * a few times, not once each; a handle is closed when its last user is
   * done, so none outlives the operations that use it. Folders below the
   * bucket are still opened by each operation (withKeyDir).
   */
  private acquireBucket(r: ResolvedKey, create: boolean): SharedBucket {
    const shared = this.openBuckets.get(r.bucketDir);
    const now = performance.now();
    if (shared && now - shared.openedAt <= BUCKET_HANDLE_REUSE_MS) {
      shared.users++;
      return shared;
    }
    const opened: SharedBucket = { dir: this.openBucket(r, create), users: 1, openedAt: now };
    // an older handle still in use stays open until its last user releases it
    this.openBuckets.set(r.bucketDir, opened);
    return opened;
  }

  private releaseBucket(bucketDir: string, bucket: SharedBucket): void {
    if (--bucket.users > 0) return;
    if (this.openBuckets.get(bucketDir) === bucket) this.openBuckets.delete(bucketDir);
    closeDir(bucket.dir);
  }

  private async openForRead(
    r: ResolvedKey,
    bucket: string,
    key: string,
    generation: string | undefined,
  ): Promise<{ handle: fsp.FileHandle; st: BigIntStats }> {
    const where = this.whereOf(bucket, key);
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await this.inKeyDir(r, where, false, (dir, name) => openFileAt(dir, name, where));
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) throw new NotFoundError(where.location);
      if (generation !== undefined && generationOf(st) !== generation) {
        throw new PreconditionError(where.location, generation, generationOf(st));
      }
      return { handle, st };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if (isMissing(error)) throw new NotFoundError(where.location, { cause: error });
      throw wrapFsError(error, 'read', where.location, r.file);
    }
  }

  private info(bucket: string, key: string, st: BigIntStats): ObjectInfo {
    return {
      bucket,
      key,
      generation: generationOf(st),
      size: Number(st.size),
      created: createdOf(st),
      updated: updatedOf(st),
      metadata: {},
    };
  }
}
