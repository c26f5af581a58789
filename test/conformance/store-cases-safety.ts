import { expect } from 'vitest';
import type { SuiteContext } from './store.js';
import {
  canaryStream,
  consumeMeasured,
  generatedStream,
  listKeys,
  MemoryProbe,
  readText,
} from './store-streams.js';

const MiB = 1024 * 1024;

/** Segments of 199 and 200 characters: a 1,000-character key, every segment under 255 bytes. */
export const LONG_KEY = [
  ...Array.from({ length: 4 }, (_, i) => String.fromCharCode(97 + i).repeat(199)),
  'e'.repeat(200),
].join('/');

export const ODD_KEYS = [
  'données/été/rapport final.csv',
  'with space/file name.txt',
  'plus+sign/a+b.csv',
  'percent%2F/100%.csv',
  'hash#tag/#1.csv',
  'query?x=1&y=2.csv',
  '日本語/ファイル.txt',
  'emoji/📦 box.bin',
  'quote\'s "double".csv',
  LONG_KEY,
];

export const UNSAFE_KEYS = ['../x', '/abs', 'a/../b', 'a\u0000b', 'a\nb', '..', 'a/./b'];

/** Odd but valid names, unsafe keys refused before any I/O, a large object in bounded memory. */
export function safetyCases(ctx: SuiteContext): void {
  const { test, caps } = ctx;

  test('odd names round-trip (unicode, spaces, + % # ?, a 1,000-character key)', async () => {
    const { store, bucket } = ctx.fx();
    expect(LONG_KEY.length).toBe(1000);
    for (const key of ODD_KEYS) {
      const info = await store.write(bucket, key, Buffer.from(`content of ${key}`));
      expect(info.key).toBe(key);
    }
    for (const key of ODD_KEYS) {
      expect((await store.stat(bucket, key))?.key).toBe(key);
      expect(await readText(store, bucket, key)).toBe(`content of ${key}`);
      expect(await listKeys(store, bucket, key)).toEqual([key]);
    }
    expect(await listKeys(store, bucket)).toEqual([...ODD_KEYS].sort());
    for (const key of ODD_KEYS) await store.delete(bucket, key);
    expect(await listKeys(store, bucket)).toEqual([]);
  });

  test('unsafe keys are refused with E_KEY_UNSAFE before any I/O', async () => {
    const { store, bucket } = ctx.fx();
    await store.write(bucket, 'safe.csv', Buffer.from('safe'));
    const refused = async (what: string, attempt: () => Promise<unknown>): Promise<void> => {
      const outcome = await attempt().then(
        () => 'accepted',
        (e: unknown) => (e as { code?: string }).code ?? String(e),
      );
      expect(outcome, what).toBe('E_KEY_UNSAFE');
    };
    for (const key of UNSAFE_KEYS) {
      const label = JSON.stringify(key);
      const canary = canaryStream();
      await refused(`stat ${label}`, () => store.stat(bucket, key));
      await refused(`read ${label}`, () => store.read(bucket, key));
      await refused(`write Buffer ${label}`, () => store.write(bucket, key, Buffer.from('x')));
      await refused(`write stream ${label}`, () => store.write(bucket, key, canary.stream));
      expect(canary.touched(), `the body of write ${label} was read`).toBe(false);
      await refused(`delete ${label}`, () => store.delete(bucket, key));
      if (caps.serverSideCopy) {
        await refused(`copy to ${label}`, () =>
          store.copy(store, { bucket, key: 'safe.csv' }, { bucket, key }),
        );
        await refused(`copy from ${label}`, () =>
          store.copy(store, { bucket, key }, { bucket, key: 'copy.csv' }),
        );
      }
      if (ctx.hasRename)
        await refused(`rename to ${label}`, () =>
          store.rename!(store, { bucket, key: 'safe.csv' }, { bucket, key }),
        );
    }
    for (const badBucket of ['..', 'a/b', '']) {
      await refused(`stat in bucket ${JSON.stringify(badBucket)}`, () => store.stat(badBucket, 'safe.csv'));
      await refused(`write in bucket ${JSON.stringify(badBucket)}`, () =>
        store.write(badBucket, 'safe.csv', Buffer.from('x')),
      );
    }
    expect(await listKeys(store, bucket)).toEqual(['safe.csv']);
    expect(await readText(store, bucket, 'safe.csv')).toBe('safe');
  });

  const bytes = ctx.options.largeObjectBytes ?? 64 * MiB;
  const limit = ctx.options.maxMemoryGrowthBytes ?? Math.floor(bytes * 0.75);
  test('a large object streams in and out with bounded memory', async () => {
    const { store, bucket } = ctx.fx();
    const writeProbe = new MemoryProbe();
    const generated = generatedStream(bytes, writeProbe);
    const info = await store.write(bucket, 'large/object.bin', generated.stream, { size: bytes });
    writeProbe.sample();
    expect(info.size).toBe(bytes);
    expect(writeProbe.growth, `memory growth while writing (${writeProbe.method})`).toBeLessThan(limit);

    const readProbe = new MemoryProbe();
    const read = await consumeMeasured(await store.read(bucket, 'large/object.bin'), readProbe);
    expect(read).toEqual({ size: bytes, crc32c: generated.crc32c() });
    expect(readProbe.growth, `memory growth while reading (${readProbe.method})`).toBeLessThan(limit);
  });
}
