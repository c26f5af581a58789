import { crc32c } from '../crc32c.js';
import { constants, linkSync, promises as fsp, renameSync, unlinkSync, type BigIntStats } from 'node:fs';
import type { Readable } from 'node:stream';
import { PreconditionError } from '../../model/errors.js';
import { encodeCrc32c } from '../checksum.js';
import { at, lstatAt, syncDir, type DirHandle } from './dirs.js';
import { errnoOf, generationOf, tempName } from './paths.js';

/** Bytes gathered before one write to the temp file (bounds memory per write). */
const WRITE_BATCH_BYTES = 1 << 20;

/** A complete, fsynced temporary file next to its target, not yet visible under the key. */
export interface Staged {
  /** Name of the temp file in `dir`. */
  tmp: string;
  dir: DirHandle;
  st: BigIntStats;
  crc32c: string;
}

/** Flags of every file the store creates: a fresh name, never through a symbolic link. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Raised inside staging when the body (the caller's stream) fails, so it is not mistaken for an fs error. */
export class BodyError extends Error {
  constructor(readonly original: unknown) {
    super('body stream failed');
  }
}

/**
 * Writes `body` to a new temporary file in `dir` (computing its CRC32C),
 * fsyncs it and returns its stats. On any failure the temporary file is
 * removed and a body stream destroyed; a failure of the body itself is
 * thrown as BodyError.
 */
export async function stageFile(dir: DirHandle, body: Readable | Buffer): Promise<Staged> {
  const tmp = tempName();
  const handle = await fsp.open(at(dir, tmp), CREATE_FLAGS, 0o666);
  try {
    let state = 0;
    if (Buffer.isBuffer(body)) {
      state = crc32c(body);
      await handle.writeFile(body);
    } else {
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      const iterator = body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw new BodyError(error);
        }
        if (next.done) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
        state = crc32c(chunk, state);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          await writeAll(handle, pending);
          pending.length = 0;
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) await writeAll(handle, pending);
    }
    await handle.sync();
    const st = await handle.stat({ bigint: true });
    await handle.close();
    return { tmp, dir, st, crc32c: encodeCrc32c(state) };
  } catch (error) {
    await handle.close().catch(() => undefined);
    removeAt(dir, tmp);
    if (!Buffer.isBuffer(body)) body.destroy();
    throw error;
  }
}

/** Bytes read from the source, checksummed and written at a time by a copy (and by crc32cOfHandle). */
const COPY_CHUNK_BYTES = 8 << 20;
/** The least a copy's buffer holds, whatever size the source was said to have (it may have grown). */
const MIN_CHUNK_BYTES = 64 << 10;

/**
 * A buffer for a file of `size` bytes: the whole file up to a chunk (by
 * default a copy's 8 MiB), at least 64 KiB (the file may have grown). An 8 MiB
 * buffer for every small file made V8 collect its whole heap every few
 * copies (memory outside the heap counts towards its next collection: 297
 * full collections for 2,000 copies of 4 KiB, 4 with buffers the size of
 * the file); 5,000 such copies took 16.8 s, now 5.8 s.
 */
export function chunkBytesFor(size: number, chunk = COPY_CHUNK_BYTES): number {
  return Math.min(chunk, Math.max(MIN_CHUNK_BYTES, size));
}

/**
 * Bytes a copy writes between two background flushes (fdatasync) of its
 * temp file: the disk writes the copy while it is being made, so the fsync
 * that ends it waits for at most this much, not the whole file. A file
 * smaller than this is flushed once, at the end.
 */
const FLUSH_EVERY_BYTES = 16 << 20;

/**
 * Copies what the open `source` handle holds (the file opened, whatever its
 * path names now) into a new temporary file in `dir` in one pass: each chunk
 * is read, added to the CRC32C and written, and the next chunk is read while
 * this one is written (two buffers: a chunk is never refilled before its
 * write has returned); the disk is asked to write what is already copied in
 * the background as the copy goes on (BackgroundFlush). The copy is fsynced
 * and returned with the CRC32C of exactly the bytes written to it, so it is
 * never read back: the bytes it holds are the bytes checksummed. The caller
 * checks afterwards that the source did not change meanwhile. A failure
 * reading the source is thrown as BodyError; on any failure the temporary
 * file is removed. `size`, the source's as opened, sizes the buffers (a small
 * file is not copied through 8 MiB ones) and only bounds them: a source that
 * grew is still read to its end.
 */
export async function stageCopy(dir: DirHandle, source: fsp.FileHandle, size: number): Promise<Staged> {
  const tmp = tempName();
  const handle = await fsp.open(at(dir, tmp), CREATE_FLAGS, 0o666);
  const flush = new BackgroundFlush(handle);
  try {
    const chunkBytes = chunkBytesFor(size);
    const buffers: Buffer[] = [Buffer.allocUnsafe(chunkBytes)];
    let state = 0;
    let unflushed = 0;
    let position = 0;
    let chunk: Buffer = buffers[0]!.subarray(0, await readChunk(source, buffers[0]!, 0));
    for (let turn = 1; chunk.length > 0; turn++) {
      const writing = writeChunk(handle, chunk, position);
      // a chunk short of its buffer ended the file (readChunk fills it unless the file ends)
      const next =
        chunk.length < chunkBytes ? undefined : (buffers[turn % 2] ??= Buffer.allocUnsafe(chunkBytes));
      const reading = next ? readChunk(source, next, position + chunk.length) : Promise.resolve(0);
      const current = chunk;
      const summing = Promise.resolve().then(() => crc32c(current, state));
      // all three settle before anything is thrown: no call is left running on a buffer
      const [written, read, summed] = await Promise.allSettled([writing, reading, summing]);
      if (written.status === 'rejected') throw written.reason;
      if (read.status === 'rejected') throw read.reason;
      if (summed.status === 'rejected') throw summed.reason;
      state = summed.value;
      position += chunk.length;
      unflushed += chunk.length;
      if (unflushed >= FLUSH_EVERY_BYTES && flush.start()) unflushed = 0;
      chunk = next ? next.subarray(0, read.value) : Buffer.alloc(0);
    }
    await flush.settle();
    await handle.sync();
    const st = await handle.stat({ bigint: true });
    await handle.close();
    return { tmp, dir, st, crc32c: encodeCrc32c(state) };
  } catch (error) {
    await flush.settle().catch(() => undefined);
    await handle.close().catch(() => undefined);
    removeAt(dir, tmp);
    throw error;
  }
}

/**
 * One fdatasync of a file at a time, run while the caller goes on writing.
 * Its failure is kept and thrown by `settle`: Linux reports a write-back
 * error to one fsync of a file description only, so a later fsync of the
 * same handle may not see it again.
 */
class BackgroundFlush {
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly handle: fsp.FileHandle) {}

  /** Starts a flush unless one is running; true when it started one. */
  start(): boolean {
    if (this.running) return false;
    this.running = this.handle.datasync().then(
      () => {
        this.running = undefined;
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.running = undefined;
      },
    );
    return true;
  }

  /** Waits for the running flush; throws the first failure of any. */
  async settle(): Promise<void> {
    await this.running;
    if (this.failure) throw this.failure.error;
  }
}

/** Fills `buffer` from `source` at `position` (less only at the end of the file); a failure is the source's (BodyError). */
async function readChunk(source: fsp.FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  try {
    while (filled < buffer.length) {
      const { bytesRead } = await source.read(buffer, filled, buffer.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
  } catch (error) {
    throw new BodyError(error);
  }
  return filled;
}

async function writeChunk(handle: fsp.FileHandle, chunk: Buffer, position: number): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

/** Removes `name` from the held folder if it is there (a temp file of ours being given up). */
export function removeAt(dir: DirHandle, name: string): void {
  try {
    unlinkSync(at(dir, name));
  } catch {
    // already gone
  }
}

/** The CRC32C state of everything an open file holds, read with one reused buffer sized by `size` (the file's as opened; see stageCopy). */
export async function crc32cOfHandle(handle: fsp.FileHandle, size: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(chunkBytesFor(size));
  let state = 0;
  for (let position = 0; ;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return state;
    state = crc32c(buffer.subarray(0, bytesRead), state);
    position += bytesRead;
  }
}

async function writeAll(handle: fsp.FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    rest = skipBytes(rest, bytesWritten);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  let i = 0;
  while (i < buffers.length && left >= buffers[i]!.length) left -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Makes a staged (or hard-linked) temp file `tmp` of the held folder visible
 * under `target` in that same folder, honouring `ifGenerationMatch`:
 * - `'0'`: `link()` refuses an existing target atomically (EEXIST); on
 *   filesystems without hard links it falls back to check-then-rename;
 * - a generation: the target is stat'ed right before `rename()`. Race
 *   window: a writer that replaces the target between that stat and the
 *   rename is overwritten (microseconds; fs has no compare-and-swap rename);
 * - absent: plain `rename()`, which replaces atomically.
 * The temp file is gone afterwards, whatever happens; the folder is fsynced.
 */
export async function commitFile(
  dir: DirHandle,
  tmp: string,
  target: string,
  location: string,
  ifGenerationMatch?: string,
): Promise<void> {
  try {
    if (ifGenerationMatch === '0') {
      await linkNoReplace(at(dir, tmp), dir, target, location);
      removeAt(dir, tmp);
    } else {
      if (ifGenerationMatch !== undefined) expectGeneration(dir, target, location, ifGenerationMatch);
      renameSync(at(dir, tmp), at(dir, target));
    }
  } catch (error) {
    removeAt(dir, tmp);
    throw error;
  }
  await syncDir(dir);
}

/** Creates `target` in the held folder as a hard link to `existing`, failing with PreconditionError when `target` exists. */
export async function linkNoReplace(
  existing: string,
  dir: DirHandle,
  target: string,
  location: string,
): Promise<void> {
  try {
    linkSync(existing, at(dir, target));
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EEXIST')
      throw new PreconditionError(location, '0', currentGeneration(dir, target), { cause: error });
    if (!errno || !NO_HARD_LINKS.has(errno)) throw error;
    const actual = currentGeneration(dir, target);
    if (actual !== undefined) throw new PreconditionError(location, '0', actual);
    renameSync(existing, at(dir, target));
  }
}

export function expectGeneration(
  dir: DirHandle,
  target: string,
  location: string,
  expected: string,
): BigIntStats {
  let st: BigIntStats | undefined;
  try {
    st = lstatAt(dir, target);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw error;
  }
  const actual = st?.isFile() ? generationOf(st) : undefined;
  if (!st || actual !== expected) throw new PreconditionError(location, expected, actual);
  return st;
}

/** The generation of `name` in the held folder; `folder` or `symlink` when it is not a file; undefined when absent. */
export function currentGeneration(dir: DirHandle, name: string): string | undefined {
  try {
    const st = lstatAt(dir, name);
    return st.isFile() ? generationOf(st) : st.isSymbolicLink() ? 'symlink' : 'folder';
  } catch {
    return undefined;
  }
}
