/**
 * TEST DOUBLE support: object bodies of the GCS JSON API double, kept in
 * files under a temp folder (so a large object costs the test process no
 * memory), with crc32c and md5 computed while the bytes stream in.
 */
import { crc32c } from '@node-rs/crc32';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encodeCrc32c } from '../../src/storage/checksum.js';

export interface StoredBody {
  file: string;
  size: number;
  /** base64 big-endian CRC32C */
  crc32c: string;
  /** base64 MD5 */
  md5: string;
}

/** An upload in progress: bytes appended to a file, hashes updated as they come. */
export class BodyWriter {
  size = 0;
  private crc = 0;
  private readonly md5: Hash = createHash('md5');

  constructor(readonly file: string) {}

  /** Appends everything `source` yields. */
  async append(source: Readable): Promise<void> {
    const hashing = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.crc = crc32c(chunk, this.crc);
        this.md5.update(chunk);
        this.size += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(source, hashing, createWriteStream(this.file, { flags: 'a' }));
  }

  finish(): StoredBody {
    return {
      file: this.file,
      size: this.size,
      crc32c: encodeCrc32c(this.crc),
      md5: this.md5.digest('base64'),
    };
  }
}

export class BodyStore {
  /** Bodies are only removed by `clear` and `destroy`: a pending rewrite may still copy an overwritten one. */
  private constructor(private readonly dir: string) {}

  static async create(): Promise<BodyStore> {
    return new BodyStore(await mkdtemp(path.join(os.tmpdir(), 'gcs-double-')));
  }

  writer(): BodyWriter {
    const file = path.join(this.dir, randomUUID());
    writeFileSync(file, '');
    return new BodyWriter(file);
  }

  fromBuffer(data: Buffer): StoredBody {
    const file = path.join(this.dir, randomUUID());
    writeFileSync(file, data);
    return {
      file,
      size: data.length,
      crc32c: encodeCrc32c(crc32c(data)),
      md5: createHash('md5').update(data).digest('base64'),
    };
  }

  async copy(body: StoredBody): Promise<StoredBody> {
    const file = path.join(this.dir, randomUUID());
    await copyFile(body.file, file);
    return { ...body, file };
  }

  read(body: StoredBody): Readable {
    return createReadStream(body.file);
  }

  readSync(body: StoredBody): Buffer {
    return readFileSync(body.file);
  }

  /** Removes every body file (objects, sessions and rewrites must be dropped too). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  async destroy(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
