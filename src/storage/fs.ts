import { constants, promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, PermanentError, PreconditionError } from '../errors.js';
import {
  BodyError,
  commitFile,
  crc32cOfHandle,
  currentGeneration,
  linkNoReplace,
  stageCopy,
  stageFile,
} from './fs-atomic.js';
import { encodeCrc32c } from './checksum.js';
import {
  assertRealInside,
  createdOf,
  ensureDir,
  errnoOf,
  isMissing,
  generationOf,
  resolveKey,
  syncDir,
  tempName,
  updatedOf,
  wrapFsError,
  type ResolvedKey,
} from './fs-paths.js';
import { DirListingCache, removeTempFiles, walkKeys } from './fs-walk.js';
import type {
  CopyOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  ReadOptions,
  StoreCapabilities,
  WriteOptions,
} from './types.js';
import { fsMeta } from './fs-meta.js';
import { BucketIdentities } from './fs-identity.js';

export { FS_TEMP_PREFIX } from './fs-paths.js';

export interface FsStoreOptions {
  /** The project folder, `DATA/<project>`: buckets are its sub-folders, keys paths under them. */
  root: string;
  name?: string;
  /** Read-stream chunk size (default 1 MiB: a quarter of that costs ~2× in copy throughput). */
  readChunkBytes?: number;
}

const DEFAULT_PAGE_SIZE = 1000;
/** Age after which a temp file whose writer cannot be checked (another host, an older name) counts as abandoned. */
const DEFAULT_TEMP_STALE_MS = 60 * 60_000;
/** Prepared folders remembered per store before the memory is reset. */
const PREPARED_DIRS_KEPT = 4096;

/**
 * Local folders: `root/<bucket>/<key>`. Keeps no metadata (provenance lives in
 * the ledger); the generation is `mtimeNs-size-inode`.
 *
 * Writes and copies go to a temp file (FS_TEMP_PREFIX) in the target folder,
 * fsynced, then renamed into place (readers see the old file or the whole new
 * one); a killed process leaves only temp files, which list() skips and
 * cleanup() removes. A copy is made by the kernel (copy_file_range) while the
 * source's CRC32C is read, then read back and compared. rename() moves within one filesystem and keeps the generation;
 * across filesystems it throws E_UNSUPPORTED.
 */
export class FsStore implements ObjectStore {
  readonly backend = 'fs' as const;
  readonly name: string;
  readonly root: string;
  readonly capabilities: StoreCapabilities = {
    serverSideCopy: true,
    conditionalWrite: true,
    versioning: false,
    checksumHeaders: false,
    partCopy: false,
    rename: true,
    metadata: false,
  };
  private readonly readChunkBytes: number;
  private readonly listings = new DirListingCache();
  /** Folders already created and checked (prepareDir). */
  private readonly preparedDirs = new Set<string>();
  private readonly identities: BucketIdentities;

  constructor(options: FsStoreOptions) {
    this.root = path.resolve(options.root);
    this.name = options.name ?? `fs:${this.root}`;
    this.readChunkBytes = options.readChunkBytes ?? 1024 * 1024;
    this.identities = new BucketIdentities(this.root);
  }

  /** `fs:` and the real path of the bucket folder, symbolic links resolved (once, then kept). */
  bucketIdentity(bucket: string): Promise<string> {
    return this.identities.of(bucket);
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const r = resolveKey(this.root, bucket, key);
    try {
      const st = await this.statFile(r, key);
      return st ? this.info(bucket, key, st) : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw wrapFsError(error, 'stat', this.where(bucket, key), r.file);
    }
  }

  async read(bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
    const r = resolveKey(this.root, bucket, key);
    const { handle } = await this.openForRead(r, bucket, key, options.generation);
    return handle.createReadStream({ highWaterMark: this.readChunkBytes });
  }

  async readChecksum(bucket: string, key: string): Promise<{ size: number; crc32c: string }> {
    const r = resolveKey(this.root, bucket, key);
    const { handle, st } = await this.openForRead(r, bucket, key, undefined);
    try {
      const state = await crc32cOfHandle(handle);
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
    const where = this.where(bucket, key);
    try {
      await this.prepareDir(r, key, where);
      if (options.ifGenerationMatch !== undefined) await precheck(r.file, where, options.ifGenerationMatch);
      const staged = await stageFile(r.dir, body);
      await commitFile(staged.tmp, r.file, where, options.ifGenerationMatch);
      return { ...this.info(bucket, key, staged.st), crc32c: staged.crc32c };
    } catch (error) {
      if (error instanceof BodyError) throw error.original;
      throw wrapFsError(error, 'write', where, r.file);
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
    const where = this.where(bucket, key);
    try {
      const st = await this.statFile(r, key);
      if (!st) throw new NotFoundError(where);
      const expected = options.ifGenerationMatch;
      if (expected === undefined) {
        await fsMeta.unlink(r.file);
      } else {
        if (generationOf(st) !== expected) throw new PreconditionError(where, expected, generationOf(st));
        const held = path.join(r.dir, tempName('del-'));
        await fsp.rename(r.file, held);
        const actual = generationOf(await fsMeta.lstat(held));
        if (actual !== expected) {
          await linkNoReplace(held, r.file, where).catch(() => undefined);
          await fsp.unlink(held).catch(() => undefined);
          throw new PreconditionError(where, expected, actual);
        }
        await fsMeta.unlink(held);
      }
      await syncDir(r.dir);
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(where, { cause: error });
      throw wrapFsError(error, 'delete', where, r.file);
    }
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    const r = resolveKey(this.root, bucket, 'x');
    const pageSize = Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE);
    try {
      const walk = { prefix: options.prefix ?? '', after: options.pageToken, limit: pageSize };
      const { keys, more } = await walkKeys(r.bucketDir, walk, this.listings);
      // stat is a direct call (fsMeta): one after another, no pool to run them in
      const items: ObjectInfo[] = [];
      for (const key of keys) {
        try {
          const st = await fsMeta.stat(path.join(r.bucketDir, ...key.split('/')));
          if (st.isFile()) items.push(this.info(bucket, key, st));
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
      return more ? { items, nextPageToken: keys[keys.length - 1] } : { items };
    } catch (error) {
      throw wrapFsError(error, 'list', `${this.name}/${bucket}`, r.bucketDir);
    }
  }

  canCopyFrom(source: ObjectStore): boolean {
    return source instanceof FsStore;
  }

  /**
   * Copies the source file into a temp file next to the destination inside
   * the kernel while computing the source's CRC32C from an open handle, reads
   * the copy back to compare (returned as `crc32c`), then puts it in place. If the source's generation is not
   * `ifSourceGenerationMatch` when opened, or changed while copying,
   * PreconditionError and nothing is written.
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
    const where = this.where(to.bucket, to.key);
    const { handle, st: before } = await src.openForRead(
      rs,
      from.bucket,
      from.key,
      options.ifSourceGenerationMatch,
    );
    try {
      await this.prepareDir(rd, to.key, where);
      if (options.ifGenerationMatch !== undefined) await precheck(rd.file, where, options.ifGenerationMatch);
      const staged = await stageCopy(rd.dir, rs.file, handle, where);
      const after = generationOf(await handle.stat({ bigint: true }));
      // the kernel copied by path: the path must still name the file the handle holds
      const atPath = await fsMeta.stat(rs.file).catch(() => undefined);
      if (after !== generationOf(before) || atPath === undefined || generationOf(atPath) !== after) {
        await fsp.unlink(staged.tmp).catch(() => undefined);
        throw new PreconditionError(src.where(from.bucket, from.key), generationOf(before), after);
      }
      await commitFile(staged.tmp, rd.file, where, options.ifGenerationMatch);
      return { ...this.info(to.bucket, to.key, staged.st), crc32c: staged.crc32c, destinationChecksum: true };
    } catch (error) {
      if (error instanceof BodyError)
        throw wrapFsError(error.original, 'copy', src.where(from.bucket, from.key), rs.file);
      throw wrapFsError(error, 'copy', where, rd.file);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Moves a file within one filesystem, keeping its generation. Steps: learn
   * the source generation (stat, unless `ifSourceGenerationMatch` names it);
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
    const srcWhere = src.where(from.bucket, from.key);
    const where = this.where(to.bucket, to.key);
    let tmp: string | undefined;
    try {
      // With the generation expected, the linked inode is checked against it
      // below, which is the check a stat of the source would make (and link(2)
      // refuses another filesystem itself, EXDEV): one system call less per file.
      let generation = options.ifSourceGenerationMatch;
      if (generation === undefined) {
        const st = await src.statFile(rs, from.key);
        if (!st) throw new NotFoundError(srcWhere);
        generation = generationOf(st);
      } else if (rs.dir !== rs.bucketDir) {
        await assertRealInside(rs.bucketDir, rs.dir, from.key);
      }
      await this.prepareDir(rd, to.key, where, true);
      let linked: BigIntStats;
      if ((options.ifGenerationMatch ?? '0') === '0') {
        // No overwrite: link straight to the key (link never replaces), then
        // check it is the generation expected; if a writer replaced the source
        // in between, take the link back (it is ours: the key was free).
        await this.linkInto(rs.file, rd.file, rd, to.key, srcWhere, where);
        linked = await fsMeta.lstat(rd.file);
        if (generationOf(linked) !== generation) {
          await fsMeta.unlink(rd.file);
          throw linkMismatch(srcWhere, where, generation, linked);
        }
        await syncDir(rd.dir);
      } else {
        tmp = path.join(rd.dir, tempName('mv-'));
        await this.linkInto(rs.file, tmp, rd, to.key, srcWhere, where);
        linked = await fsMeta.lstat(tmp);
        if (generationOf(linked) !== generation) throw linkMismatch(srcWhere, where, generation, linked);
        const linkedTmp = tmp;
        tmp = undefined;
        await commitFile(linkedTmp, rd.file, where, options.ifGenerationMatch);
      }
      const still = await fsMeta.lstat(rs.file).catch(() => undefined);
      if (still && still.ino === linked.ino && still.dev === linked.dev) await fsMeta.unlink(rs.file);
      await syncDir(rs.dir);
      return this.info(to.bucket, to.key, linked);
    } catch (error) {
      if (tmp) await fsp.unlink(tmp).catch(() => undefined);
      if (isMissing(error)) throw new NotFoundError(srcWhere, { cause: error });
      throw wrapFsError(error, 'rename', where, rd.file);
    }
  }

  /**
   * Removes temp files left by killed processes: those whose writer on this
   * host no longer runs, and those untouched for `staleMs` (default an hour),
   * so a live writer's file is never taken from under it. Returns how many.
   */
  async cleanup(bucket: string, staleMs = DEFAULT_TEMP_STALE_MS): Promise<number> {
    const r = resolveKey(this.root, bucket, 'x');
    try {
      return await removeTempFiles(r.bucketDir, staleMs);
    } catch (error) {
      throw wrapFsError(error, 'cleanup', `${this.name}/${bucket}`, r.bucketDir);
    }
  }

  /** Hard-links `from` to `to` in the folder of `rd`, preparing that folder again if it vanished since it was remembered. */
  private async linkInto(
    from: string,
    to: string,
    rd: ResolvedKey,
    key: string,
    srcWhere: string,
    where: string,
  ): Promise<void> {
    try {
      await linkOrExplain(from, to, srcWhere, where);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT' || !this.preparedDirs.delete(rd.dir)) throw error;
      await this.prepareDir(rd, key, where);
      await linkOrExplain(from, to, srcWhere, where);
    }
  }

  private where(bucket: string, key: string): string {
    return `${this.name}/${bucket}/${key}`;
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
   * Creates the key's folder and checks that no symlink leads it out of the
   * bucket. With `remembered`, a folder prepared before is taken as is
   * (rename's hot path: linkInto prepares it again if it was removed since).
   */
  private async prepareDir(r: ResolvedKey, key: string, where: string, remembered = false): Promise<void> {
    if (remembered && this.preparedDirs.has(r.dir)) return;
    await ensureDir(r.dir, where);
    if (r.dir !== r.bucketDir) await assertRealInside(r.bucketDir, r.dir, key);
    if (this.preparedDirs.size >= PREPARED_DIRS_KEPT) this.preparedDirs.clear();
    this.preparedDirs.add(r.dir);
  }

  /** Stats of the object file (following an in-bucket symlink); undefined for a folder. */
  private async statFile(r: ResolvedKey, key: string): Promise<BigIntStats | undefined> {
    if (r.dir !== r.bucketDir) await assertRealInside(r.bucketDir, r.dir, key);
    let st = await fsMeta.lstat(r.file);
    if (st.isSymbolicLink()) {
      await assertRealInside(r.bucketDir, r.file, key);
      st = await fsMeta.stat(r.file);
    }
    return st.isFile() ? st : undefined;
  }

  private async openForRead(
    r: ResolvedKey,
    bucket: string,
    key: string,
    generation: string | undefined,
  ): Promise<{ handle: fsp.FileHandle; st: BigIntStats }> {
    const where = this.where(bucket, key);
    let handle: fsp.FileHandle | undefined;
    try {
      if (r.dir !== r.bucketDir) await assertRealInside(r.bucketDir, r.dir, key);
      try {
        handle = await fsp.open(r.file, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (error) {
        if (errnoOf(error) !== 'ELOOP') throw error;
        await assertRealInside(r.bucketDir, r.file, key);
        handle = await fsp.open(r.file, constants.O_RDONLY);
      }
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) throw new NotFoundError(where);
      if (generation !== undefined && generationOf(st) !== generation) {
        throw new PreconditionError(where, generation, generationOf(st));
      }
      return { handle, st };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if (isMissing(error)) throw new NotFoundError(where, { cause: error });
      throw wrapFsError(error, 'read', where, r.file);
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

/** Fails early, before any bytes move, when the target is already not what `ifGenerationMatch` wants (checked again at commit). */
async function precheck(file: string, where: string, ifGenerationMatch: string): Promise<void> {
  const actual = await currentGeneration(file);
  if (ifGenerationMatch === '0' ? actual !== undefined : actual !== ifGenerationMatch) {
    throw new PreconditionError(where, ifGenerationMatch, actual);
  }
}

/**
 * link(2) with its refusals explained: another filesystem or no hard links
 * there → E_UNSUPPORTED (the caller copies instead); the target exists →
 * PreconditionError naming the generation found there.
 */
async function linkOrExplain(from: string, to: string, srcWhere: string, where: string): Promise<void> {
  try {
    await fsMeta.link(from, to);
  } catch (error) {
    const errno = errnoOf(error) ?? '';
    if (errno === 'EXDEV') throw unsupported(srcWhere, where, 'different filesystems');
    if (['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(errno)) {
      throw unsupported(srcWhere, where, `no hard links here (${errno})`);
    }
    if (errno === 'EEXIST')
      throw new PreconditionError(where, '0', await currentGeneration(to), { cause: error });
    throw error;
  }
}

/**
 * What a hard link that is not the generation stat saw means: a symbolic link
 * (link(2) links the link itself, so the caller must copy instead), or a
 * source replaced in between.
 */
function linkMismatch(from: string, to: string, generation: string, linked: BigIntStats): Error {
  if (linked.isSymbolicLink()) return unsupported(from, to, 'the source is a symbolic link');
  return new PreconditionError(from, generation, generationOf(linked));
}

function unsupported(from: string, to: string, reason: string): PermanentError {
  return new PermanentError('E_UNSUPPORTED', `[switchyard] [fs] cannot rename ${from} to ${to}: ${reason}`, {
    from,
    to,
    reason,
  });
}
