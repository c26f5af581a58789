// stageCopy (storage/fs/atomic.ts): the local copy's one pass, two chunks in
// flight. Bytes land in order with their CRC32C; a source failing part-way
// leaves no temporary file and no call running on a buffer.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32cOf } from '../../src/storage/checksum.js';
import { BodyError, stageCopy } from '../../src/storage/fs/atomic.js';
import { closeDir, openDirPath, type DirHandle } from '../../src/storage/fs/dirs.js';

const MIB = 1024 * 1024;

/** A source handle over `bytes` whose reads at or past `failAt` fail (EIO), each after a turn of the event loop. */
function sourceOf(bytes: Buffer, failAt = Infinity): fsp.FileHandle {
  const source = {
    read: async (buffer: Buffer, offset: number, length: number, position: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (position >= failAt) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      const bytesRead = bytes.copy(buffer, offset, position, Math.min(bytes.length, position + length));
      return { bytesRead, buffer };
    },
  };
  return source as unknown as fsp.FileHandle;
}

describe('stageCopy', () => {
  let folder: string;
  let dir: DirHandle;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'switchyard-stage-'));
    dir = openDirPath(folder);
  });
  afterEach(async () => {
    closeDir(dir);
    await rm(folder, { recursive: true, force: true });
  });

  for (const size of [0, 1, 8 * MIB, 8 * MIB + 1, 3 * 8 * MIB - 5]) {
    it(`copies ${size} bytes in order with their CRC32C`, async () => {
      const bytes = randomBytes(size);
      const staged = await stageCopy(dir, sourceOf(bytes), size);
      expect(staged.crc32c).toBe(crc32cOf(bytes));
      expect(Number(staged.st.size)).toBe(size);
      expect((await readFile(path.join(folder, staged.tmp))).equals(bytes)).toBe(true);
    });
  }

  it('a source larger than its stated size (it grew) is still copied to its end', async () => {
    const bytes = randomBytes(3 * 64 * 1024 + 7);
    const staged = await stageCopy(dir, sourceOf(bytes), 10);
    expect(Number(staged.st.size)).toBe(bytes.length);
    expect(staged.crc32c).toBe(crc32cOf(bytes));
  });

  it('a source that fails part-way is a BodyError, and no temporary file is left', async () => {
    const bytes = randomBytes(3 * 8 * MIB);
    const failed = await stageCopy(dir, sourceOf(bytes, 2 * 8 * MIB), bytes.length).catch(
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(BodyError);
    expect(await readdir(folder)).toEqual([]);
  });
});
