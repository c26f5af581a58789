import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { parse as parseSync } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { TransformError } from '../../src/model/errors.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { transformAcross, transformedDigest } from '../../src/storage/transform-across.js';
import {
  TRANSFORMS,
  transformedName,
  transformedPrefix,
  transformedSuffix,
} from '../../src/storage/transform.js';
import { linedCsvParser, transformStages } from '../../src/storage/transform-stages.js';

async function through(transform: (typeof TRANSFORMS)[number], input: Buffer | string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([Readable.from([Buffer.from(input)]), ...transformStages(transform), sink]);
  return Buffer.concat(chunks);
}

describe('transformedName', () => {
  it.each([
    ['sales.csv', 'gzip', 'sales.csv.gz'],
    ['log.txt.gz', 'gunzip', 'log.txt'],
    ['LOG.GZ', 'gunzip', 'LOG'],
    ['plain.txt', 'gunzip', 'plain.txt'],
    ['.gz', 'gunzip', '.gz'],
    ['orders.csv', 'csv-to-jsonl', 'orders.jsonl'],
    ['ORDERS.CSV', 'csv-to-jsonl', 'ORDERS.jsonl'],
    ['orders.txt', 'csv-to-jsonl', 'orders.txt.jsonl'],
  ] as const)('%s under %s is %s', (name, transform, expected) => {
    expect(transformedName(name, transform)).toBe(expected);
  });

  it('the renamed anchors hold for every renamed name (what the cycle checks rely on)', () => {
    const name = fc
      .tuple(
        fc.stringMatching(/^[ac.svgzj]{0,5}$/),
        fc.constantFrom('', '.csv', '.CSV', '.gz', '.csv.gz', 'sv'),
      )
      .map(([stem, ending]) => stem + ending);
    fc.assert(
      fc.property(name, fc.nat(), fc.nat(), fc.constantFrom(...TRANSFORMS), (n, p, s, transform) => {
        const prefix = n.slice(0, p % (n.length + 1));
        const suffix = n.slice(n.length - (s % (n.length + 1)));
        const renamed = transformedName(n, transform);
        expect(renamed.startsWith(transformedPrefix(prefix, transform))).toBe(true);
        expect(renamed.endsWith(transformedSuffix(suffix, transform))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('transform stages', () => {
  it('gzip then gunzip gives the bytes back; gzip of the same bytes is the same bytes (one CRC32C)', async () => {
    const input = Buffer.from('x,y\n'.repeat(10_000));
    const once = await through('gzip', input);
    expect(await through('gzip', input)).toEqual(once);
    expect((await through('gunzip', once)).equals(input)).toBe(true);
  });

  it('csv-to-jsonl: header names, strings, quotes doubled, a field over two lines, a BOM and blank lines skipped', async () => {
    const csv = '\ufeffid,text\r\n1,"a ""b"""\r\n\r\n2,"l1\nl2"\r\n';
    expect((await through('csv-to-jsonl', csv)).toString()).toBe(
      '{"id":"1","text":"a \\"b\\""}\n{"id":"2","text":"l1\\nl2"}\n',
    );
  });

  it("csv-to-jsonl: each line is the bytes JSON.stringify makes of csv-parse's record object (the stage before records came as arrays)", async () => {
    // integer-like names (JSON.stringify writes them first, ascending), `__proto__`,
    // quotes, delimiters, line breaks and non-ASCII text in names and values
    const text = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '0',
        '7',
        '10',
        '01',
        '-1',
        '4294967295',
        '__proto__',
        'constructor',
        'é"x',
        'a,b',
        'l1\nl2',
      ),
    );
    const quoted = (field: string) => `"${field.replaceAll('"', '""')}"`;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(text, { minLength: 1, maxLength: 6 }),
        fc.array(fc.array(text, { minLength: 6, maxLength: 6 }), { maxLength: 8 }),
        async (names, rows) => {
          const records = rows.map((row) => row.slice(0, names.length));
          const csv = [names, ...records].map((r) => `${r.map(quoted).join(',')}\r\n`).join('');
          const objects = parseSync(csv, { columns: true, bom: true, skip_empty_lines: true }) as object[];
          const expected = objects.map((o) => `${JSON.stringify(o)}\n`).join('');
          expect((await through('csv-to-jsonl', csv)).toString()).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the Parquet stage's records carry the line each ends on, as csv-parse's `info: true` gives it (blank lines, fields over lines, CRLF)", async () => {
    const field = fc.oneof(
      fc.constantFrom('', 'a', 'x,y', 'l1\nl2', 'l1\r\nl2\n', 'q"q'),
      fc.string({ maxLength: 4 }),
    );
    const record = fc.array(field, { minLength: 3, maxLength: 3 });
    // one line ending per document (csv-parse takes the first it meets), blank lines between records
    const blank = fc.integer({ min: 0, max: 2 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.tuple(record, blank), { minLength: 1, maxLength: 8 }),
        async (eol, rows) => {
          const csv = rows
            .map(
              ([r, blanks]) =>
                `${r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')}${eol.repeat(1 + blanks)}`,
            )
            .join('');
          const options = { bom: true, skip_empty_lines: true };
          const expected = (
            parseSync(csv, { ...options, info: true }) as unknown as {
              record: string[];
              info: { lines: number };
            }[]
          ).map(({ record, info }) => ({ record, lines: info.lines }));
          const got: { record: string[]; lines: number }[] = [];
          await pipeline([
            Readable.from([Buffer.from(csv)]),
            linedCsvParser(options),
            new Writable({
              objectMode: true,
              write(chunk: { record: string[]; info: { lines: number } }, _encoding, callback) {
                got.push({ record: chunk.record, lines: chunk.info.lines });
                callback();
              },
            }),
          ]);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('csv-to-jsonl: an output of many chunks is every record in order, one line each, whatever the input chunks', async () => {
    const rows = Array.from(
      { length: 5_000 },
      (_, i) => `${i},"name ${i}, ""quoted""",${'x'.repeat(i % 50)}`,
    );
    const csv = `id,name,pad\n${rows.join('\n')}\n`;
    const expected = rows
      .map(
        (_, i) =>
          `${JSON.stringify({ id: String(i), name: `name ${i}, "quoted"`, pad: 'x'.repeat(i % 50) })}\n`,
      )
      .join('');
    expect(expected.length).toBeGreaterThan(4 * 64 * 1024);
    const input = Buffer.from(csv);
    const chunks: Buffer[] = [];
    for (let at = 0; at < input.length; at += 7_777) chunks.push(input.subarray(at, at + 7_777));
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    });
    await pipeline([Readable.from(chunks), ...transformStages('csv-to-jsonl'), sink]);
    expect(Buffer.concat(out).toString()).toBe(expected);
    // handed on in chunks of some 64 KiB, not a chunk per line
    expect(out.length).toBeLessThan(20);
  });
});

describe('transformedDigest and transformAcross', () => {
  it('the digest is the size and CRC32C of what transformAcross writes', async () => {
    const store = new MemoryStore();
    const info = await store.write('b', 'in/t.csv', Buffer.from('a,b\n1,2\n'));
    const source = {
      store,
      bucket: 'b',
      key: 'in/t.csv',
      generation: info.generation,
      transform: 'csv-to-jsonl' as const,
    };
    const digest = await transformedDigest(source);
    const written = await transformAcross(source, store, { bucket: 'b', key: 'out/t.jsonl' });
    const bytes = '{"a":"1","b":"2"}\n';
    expect(digest).toEqual({ size: bytes.length, crc32c: crc32cOf(bytes) });
    expect(written.crc32c).toBe(digest.crc32c);
    expect(written.bytes).toBe(digest.size);
  });

  it('refused data is TransformError (E_TRANSFORM_FAILED, permanent, the CSV line); the write leaves nothing', async () => {
    const store = new MemoryStore();
    const info = await store.write('b', 'in/t.csv', Buffer.from('a,b\n1,2\n3\n'));
    const source = {
      store,
      bucket: 'b',
      key: 'in/t.csv',
      generation: info.generation,
      transform: 'csv-to-jsonl' as const,
    };
    const refused = await transformedDigest(source).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransformError);
    expect(refused).toMatchObject({ code: 'E_TRANSFORM_FAILED', transient: false, details: { line: 3 } });
    await expect(transformAcross(source, store, { bucket: 'b', key: 'out/t.jsonl' })).rejects.toBeInstanceOf(
      TransformError,
    );
    expect(await store.stat('b', 'out/t.jsonl')).toBeUndefined();

    const cut = await store.write('b', 'in/x.gz', gzipSync('y'.repeat(50_000)).subarray(0, 40));
    const gz = {
      store,
      bucket: 'b',
      key: 'in/x.gz',
      generation: cut.generation,
      transform: 'gunzip' as const,
    };
    await expect(transformAcross(gz, store, { bucket: 'b', key: 'out/x' })).rejects.toMatchObject({
      code: 'E_TRANSFORM_FAILED',
    });
    expect(await store.stat('b', 'out/x')).toBeUndefined();
  });

  it('a header naming one column twice is refused at line 1 (one of the two values would be lost)', async () => {
    const store = new MemoryStore();
    const info = await store.write('b', 'in/t.csv', Buffer.from('id,id\n1,2\n'));
    const source = {
      store,
      bucket: 'b',
      key: 'in/t.csv',
      generation: info.generation,
      transform: 'csv-to-jsonl' as const,
    };
    await expect(transformedDigest(source)).rejects.toMatchObject({
      code: 'E_TRANSFORM_FAILED',
      details: { line: 1, reason: 'column "id" appears twice in the header' },
    });
  });

  it('a source that is no longer the generation asked for fails as the read does, not as a transform', async () => {
    const store = new MemoryStore();
    await store.write('b', 'in/t.csv', Buffer.from('a\n1\n'));
    const source = { store, bucket: 'b', key: 'in/t.csv', generation: 'gone', transform: 'gzip' as const };
    await expect(transformedDigest(source)).rejects.toMatchObject({ code: 'E_PRECONDITION' });
  });
});
