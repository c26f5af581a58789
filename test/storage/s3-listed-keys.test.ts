// ListedKeys: the destination-folder listing that stands for a look at each
// key before a copy on an S3 server that enforces no If-None-Match. A fake
// listing over a sorted key set and a fake clock.
import { describe, expect, it } from 'vitest';
import { compareKeys, folderOf, justBefore, ListedKeys } from '../../src/storage/s3/listed-keys.js';

function bucketOf(keys: string[], pageSize = 1000) {
  const sorted = [...keys].sort(compareKeys);
  const calls: Array<{ prefix: string; after: string; maxKeys?: number }> = [];
  const list = async (_bucket: string, prefix: string, after: string, maxKeys: number) => {
    calls.push({ prefix, after, maxKeys });
    const matching = sorted.filter((k) => k.startsWith(prefix) && compareKeys(k, after) > 0);
    const page = Math.min(pageSize, maxKeys);
    return { keys: matching.slice(0, page), truncated: matching.length > page };
  };
  return { sorted, calls, list };
}

describe('ListedKeys', () => {
  it('one listing of the folder answers for every key it covers: absent, or listed (look at it)', async () => {
    const bucket = bucketOf(['in/a.bin', 'in/c.bin', 'out/x.bin']);
    const listed = new ListedKeys(bucket.list, 1000, () => 0);
    expect(await listed.lookup('b', 'in/a.bin')).toBe('listed');
    expect(await listed.lookup('b', 'in/b.bin')).toBe('absent');
    expect(await listed.lookup('b', 'in/c.bin')).toBe('listed');
    expect(await listed.lookup('b', 'in/d.bin')).toBe('absent');
    expect(bucket.calls).toEqual([{ prefix: 'in/', after: 'in/a.bi', maxKeys: 16 }]);
  });

  it('a truncated page covers up to its last key only; a key beyond it is listed again from just before it', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `in/k-${i}.bin`);
    const bucket = bucketOf(keys, 3);
    const listed = new ListedKeys(bucket.list, 1000, () => 0);
    expect(await listed.lookup('b', 'in/k-0.bin')).toBe('listed');
    expect(await listed.lookup('b', 'in/k-2.bin')).toBe('listed');
    expect(bucket.calls).toHaveLength(1);
    // in/k-3.bin lies beyond the page's last key (in/k-2.bin): not answered by it
    expect(await listed.lookup('b', 'in/k-3.bin')).toBe('listed');
    expect(await listed.lookup('b', 'in/k-35.bin')).toBe('absent');
    expect(bucket.calls.map(({ prefix, after }) => ({ prefix, after }))).toEqual([
      { prefix: 'in/', after: 'in/k-0.bi' },
      { prefix: 'in/', after: 'in/k-3.bi' },
    ]);
  });

  it('a first listing asks for 16 keys, each next one for twice the looks the last answered, up to 1,000', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `in/k-${String(i).padStart(5, '0')}.bin`);
    const bucket = bucketOf(keys);
    const listed = new ListedKeys(bucket.list, 1000, () => 0);
    for (const key of keys) expect(await listed.lookup('b', key)).toBe('listed');
    const sizes = bucket.calls.map((c) => c.maxKeys);
    expect(sizes.slice(0, 7)).toEqual([16, 32, 64, 128, 256, 512, 1000]);
    expect(sizes.every((n) => n !== undefined && n <= 1000)).toBe(true);
    expect(bucket.calls.length).toBeLessThan(12);
  });

  it('a listing older than the window answers nothing: the folder is listed again', async () => {
    const bucket = bucketOf([]);
    let now = 0;
    const listed = new ListedKeys(bucket.list, 1000, () => now);
    expect(await listed.lookup('b', 'in/a.bin')).toBe('absent');
    now = 999;
    expect(await listed.lookup('b', 'in/a.bin')).toBe('absent');
    expect(bucket.calls).toHaveLength(1);
    now = 1000;
    expect(await listed.lookup('b', 'in/a.bin')).toBe('absent');
    expect(bucket.calls).toHaveLength(2);
  });

  it('a key this process wrote since the listing is never answered absent', async () => {
    const bucket = bucketOf([]);
    const listed = new ListedKeys(bucket.list, 1000, () => 0);
    expect(await listed.lookup('b', 'in/a.bin')).toBe('absent');
    listed.written('b', 'in/a.bin');
    expect(await listed.lookup('b', 'in/a.bin')).toBe('listed');
    expect(await listed.lookup('other', 'in/a.bin')).toBe('absent');
  });

  it('looks at once in one folder share one listing', async () => {
    const bucket = bucketOf(['in/c.bin']);
    const listed = new ListedKeys(bucket.list, 1000, () => 0);
    const answers = await Promise.all(
      ['in/a.bin', 'in/b.bin', 'in/c.bin', 'in/d.bin'].map((k) => listed.lookup('b', k)),
    );
    expect(answers).toEqual(['absent', 'absent', 'listed', 'absent']);
    expect(bucket.calls).toHaveLength(1);
  });

  it('a failed listing fails the look (nothing is taken as absent)', async () => {
    const listed = new ListedKeys(
      async () => {
        throw new Error('listing refused');
      },
      1000,
      () => 0,
    );
    await expect(listed.lookup('b', 'in/a.bin')).rejects.toThrow('listing refused');
  });

  it('orders keys as S3 does (UTF-8 bytes) and cuts no character in two', () => {
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16 code units
    expect(compareKeys('\uff5e', '\u{1f600}')).toBeLessThan(0);
    expect(justBefore('in/a\u{1f600}')).toBe('in/a');
    expect(folderOf('in/sub/a.bin')).toBe('in/sub/');
    expect(folderOf('a.bin')).toBe('');
  });
});
