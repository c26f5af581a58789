import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIgnoredKey, isTempName } from '../../src/triggers/fs-watch/names.js';
import { isSharedFilesystem, openWriterProbe, type WriterProbe } from '../../src/triggers/fs-watch/probe.js';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/store.js';

describe('temp names', () => {
  it.each([
    ['report.csv.tmp', true],
    ['report.csv.part', true],
    ['report.csv.PARTIAL', true],
    ['upload.filepart', true],
    ['x.crdownload', true],
    ['.~lock.report.csv#', true],
    ['~$report.xlsx', true],
    ['.report.csv.swp', true],
    [`${FS_TEMP_PREFIX}abc`, true],
    ['report.csv', false],
    ['tmp.csv', false],
    ['partial_report.csv', false],
    ['report.swp', false],
  ])('%s → %s', (name, temp) => {
    expect(isTempName(name)).toBe(temp);
  });

  it('ignores keys in switchyard temp folders or with a temp file name, not ordinary folders', () => {
    expect(isIgnoredKey(`a/${FS_TEMP_PREFIX}x/b.csv`)).toBe(true);
    expect(isIgnoredKey('a/b.csv.tmp')).toBe(true);
    expect(isIgnoredKey('a.tmp/b.csv')).toBe(false);
  });
});

describe('the /proc open-writer probe', () => {
  let dir = '';
  let probe: WriterProbe | undefined;
  beforeEach(async (context) => {
    probe = openWriterProbe();
    if (!probe) context.skip(`no working /proc probe on ${process.platform}`);
    dir = await fsp.mkdtemp(path.join(tmpdir(), 'switchyard-probe-test-'));
  });
  afterEach(async () => {
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const target = async (name: string) => {
    const file = path.join(dir, name);
    return { path: file, ino: (await fsp.stat(file, { bigint: true })).ino };
  };

  it('sees descriptors open for writing (O_WRONLY, O_RDWR), not for reading, and not once closed', async () => {
    const writeOnly = await fsp.open(path.join(dir, 'w.bin'), 'w');
    const readWrite = await fsp.open(path.join(dir, 'rw.bin'), 'w+');
    await fsp.writeFile(path.join(dir, 'r.bin'), 'r');
    const readOnly = await fsp.open(path.join(dir, 'r.bin'), 'r');
    await fsp.writeFile(path.join(dir, 'idle.bin'), 'i');
    const files = await Promise.all(['w.bin', 'rw.bin', 'r.bin', 'idle.bin'].map(target));
    try {
      const open = probe!.openForWriting(files);
      expect([...(open ?? [])].map((f) => path.basename(f)).sort()).toEqual(['rw.bin', 'w.bin']);
    } finally {
      await Promise.all([writeOnly.close(), readWrite.close(), readOnly.close()]);
    }
    expect(probe!.openForWriting(files)?.size).toBe(0);
  });

  it('follows a file renamed while its writer holds it open (by inode)', async () => {
    const handle = await fsp.open(path.join(dir, 'a.bin.tmp'), 'w');
    try {
      await fsp.rename(path.join(dir, 'a.bin.tmp'), path.join(dir, 'a.bin'));
      const open = probe!.openForWriting([await target('a.bin')]);
      expect(open?.has(path.join(dir, 'a.bin'))).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('treats the temp folder as a local filesystem', () => {
    expect(isSharedFilesystem(dir)).toBe(false);
  });
});
