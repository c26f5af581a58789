import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../../src/model/errors.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { copyAcross, readChecksum } from '../../src/storage/stream-to-store.js';
import { failingStream, listKeys, readText } from '../conformance/store-streams.js';

let data: string;
let fs: FsStore;
let memory: MemoryStore;

beforeEach(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'switchyard-across-'));
  fs = new FsStore({ root: data, name: 'fs:local' });
  memory = new MemoryStore({ name: 'memory:cloud' });
});
afterEach(() => rm(data, { recursive: true, force: true }));

describe('copyAcross', () => {
  it('streams between backends and returns the CRC32C and byte count of what went through', async () => {
    const body = Buffer.alloc(1024 * 1024 + 3, 0x42);
    const source = await fs.write('landing', 'in/a.bin', body);
    const result = await copyAcross(fs, 'landing', 'in/a.bin', memory, 'archive', 'a.bin', {
      ifSourceGenerationMatch: source.generation,
      metadata: { team: 'ops' },
    });
    expect(result).toMatchObject({ crc32c: crc32cOf(body), bytes: body.length });
    expect(result.info).toMatchObject({
      key: 'a.bin',
      size: body.length,
      crc32c: crc32cOf(body),
      metadata: { team: 'ops' },
    });
    expect(memory.stats.bytesOut).toBe(body.length);

    const back = await copyAcross(memory, 'archive', 'a.bin', fs, 'restored', 'a.bin');
    expect(back.crc32c).toBe(crc32cOf(body));
    expect((await fs.stat('restored', 'a.bin'))!.size).toBe(body.length);
  });

  it('a stale source generation fails before anything is written', async () => {
    const first = await fs.write('landing', 'a.csv', Buffer.from('one'));
    await fs.write('landing', 'a.csv', Buffer.from('two'));
    await expect(
      copyAcross(fs, 'landing', 'a.csv', memory, 'dst', 'a.csv', {
        ifSourceGenerationMatch: first.generation,
      }),
    ).rejects.toBeInstanceOf(PreconditionError);
    expect(await listKeys(memory, 'dst')).toEqual([]);
  });

  it('a destination precondition failure leaves the destination as it was', async () => {
    await memory.write('landing', 'a.csv', Buffer.from('new'));
    await fs.write('dst', 'a.csv', Buffer.from('old'));
    await expect(
      copyAcross(memory, 'landing', 'a.csv', fs, 'dst', 'a.csv', { ifGenerationMatch: '0' }),
    ).rejects.toBeInstanceOf(PreconditionError);
    expect(await readText(fs, 'dst', 'a.csv')).toBe('old');
    expect(await fs.cleanup('dst')).toBe(0);
  });

  it('a source that fails mid-way leaves nothing at the destination', async () => {
    const broken = new MemoryStore({ name: 'memory:broken' });
    await broken.write('b', 'k', Buffer.from('x'));
    broken.read = async () => failingStream(3, 64 * 1024, new Error('connection reset'));
    await expect(copyAcross(broken, 'b', 'k', fs, 'dst', 'k')).rejects.toThrow('connection reset');
    expect(await listKeys(fs, 'dst')).toEqual([]);
    expect(await fs.cleanup('dst')).toBe(0);
  });
});

describe('readChecksum', () => {
  it('takes the CRC32C from stat when the backend reports it, without reading', async () => {
    await memory.write('b', 'k', Buffer.from('hello'));
    const before = memory.stats.bytesIn;
    expect(await readChecksum(memory, 'b', 'k')).toEqual({ size: 5, crc32c: crc32cOf('hello') });
    expect(memory.stats.bytesIn).toBe(before);
    await expect(readChecksum(memory, 'b', 'missing')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('with a stat in hand (stated), asks for no second one: its CRC32C as is, else one read', async () => {
    const info = await memory.write('b', 'k', Buffer.from('hello'));
    const stated = (await memory.stat('b', 'k'))!;
    let stats = 0;
    const stat = memory.stat.bind(memory);
    memory.stat = (bucket, key) => {
      stats++;
      return stat(bucket, key);
    };
    const before = memory.stats.bytesIn;
    expect(await readChecksum(memory, 'b', 'k', stated)).toEqual({ size: 5, crc32c: info.crc32c });
    expect(memory.stats.bytesIn).toBe(before);
    const { crc32c: _dropped, ...withoutCrc } = stated;
    expect(await readChecksum(memory, 'b', 'k', withoutCrc)).toEqual({ size: 5, crc32c: crc32cOf('hello') });
    expect(memory.stats.bytesIn).toBe(before + 5);
    expect(stats).toBe(0);
  });

  it('streams the object when the backend does not know its CRC32C', async () => {
    await fs.write('b', 'k', Buffer.from('hello'));
    expect(await readChecksum(fs, 'b', 'k')).toEqual({ size: 5, crc32c: crc32cOf('hello') });
    await expect(readChecksum(fs, 'b', 'missing')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
