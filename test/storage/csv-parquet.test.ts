// csv-to-parquet: CSV in, Parquet out, read back with hyparquet. Strings by
// default, a schema's types, refusals with their line, deterministic bytes,
// and memory bounded by the row group (observed by its counters, not timing).
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { TransformError } from '../../src/model/errors.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import {
  convert,
  DEFAULT_PARQUET,
  parquetOptionsFor,
  zstdAvailable,
  type ParquetOptions,
} from '../../src/storage/csv-parquet.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { transformAcross, transformedDigest } from '../../src/storage/transform-across.js';
import { transformStages, type CsvToParquet } from '../../src/storage/transform-stages.js';

async function toParquet(
  input: string | Iterable<string>,
  options: Partial<ParquetOptions> = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const source = typeof input === 'string' ? [Buffer.from(input)] : input;
  await pipeline([
    Readable.from(source),
    ...transformStages('csv-to-parquet', undefined, { ...DEFAULT_PARQUET, ...options }),
    sink,
  ]);
  return Buffer.concat(chunks);
}

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function rowsOf(bytes: Buffer): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: arrayBufferOf(bytes) });
}

async function refusalOf(csv: string, schema?: ParquetOptions['schema']): Promise<unknown> {
  const store = new MemoryStore();
  const info = await store.write('b', 'in/t.csv', Buffer.from(csv));
  return transformedDigest({
    store,
    bucket: 'b',
    key: 'in/t.csv',
    generation: info.generation,
    transform: 'csv-to-parquet',
    parquet: { ...DEFAULT_PARQUET, ...(schema ? { schema } : {}) },
  }).catch((e: unknown) => e);
}

describe('csv-to-parquet', () => {
  it('every column a string by default: header names, quotes, a field over two lines, a BOM, empty fields kept', async () => {
    const csv = '\uFEFFid,city,note\n1,"Paris, FR","say ""hi"""\n2,Lyon,"two\nlines"\n\n3,,\n';
    const bytes = await toParquet(csv);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
    expect(await rowsOf(bytes)).toEqual([
      { id: '1', city: 'Paris, FR', note: 'say "hi"' },
      { id: '2', city: 'Lyon', note: 'two\nlines' },
      { id: '3', city: '', note: '' },
    ]);
    const meta = parquetMetadata(arrayBufferOf(bytes));
    expect(meta.schema.slice(1).map((e) => [e.name, e.type, e.converted_type])).toEqual([
      ['id', 'BYTE_ARRAY', 'UTF8'],
      ['city', 'BYTE_ARRAY', 'UTF8'],
      ['note', 'BYTE_ARRAY', 'UTF8'],
    ]);
    expect(meta.row_groups[0]!.columns[0]!.meta_data!.codec).toBe('SNAPPY');
  });

  it('a schema types columns: int64, double, boolean, timestamp; an empty field is null', async () => {
    const csv =
      'id,amount,paid,at,label\n' +
      '9007199254740993,12.5,true,2024-06-30T23:30:00Z,a\n' +
      '-2,-1e3,0,2024-07-01,b\n' +
      ',,,,\n';
    const bytes = await toParquet(csv, {
      schema: { id: 'int64', amount: 'double', paid: 'boolean', at: 'timestamp' },
    });
    expect(await rowsOf(bytes)).toEqual([
      { id: 9007199254740993n, amount: 12.5, paid: true, at: new Date('2024-06-30T23:30:00Z'), label: 'a' },
      { id: -2n, amount: -1000, paid: false, at: new Date('2024-07-01T00:00:00Z'), label: 'b' },
      { id: null, amount: null, paid: null, at: null, label: '' },
    ]);
  });

  it('convert reads each type strictly', () => {
    expect(convert('2024-06-30 23:30:00+02:00', 'timestamp', 'c', 1)).toBe(
      BigInt(Date.parse('2024-06-30T21:30:00Z')),
    );
    expect(convert(' 42 ', 'int64', 'c', 1)).toBe(42n);
    expect(convert('FALSE', 'boolean', 'c', 1)).toBe(false);
    for (const [text, type] of [
      ['1.5', 'int64'],
      ['9223372036854775808', 'int64'],
      ['12abc', 'double'],
      ['yes', 'boolean'],
      ['2024-02-30', 'timestamp'],
      ['30/06/2024', 'timestamp'],
    ] as const) {
      expect(() => convert(text, type, 'c', 7), `${text} as ${type}`).toThrow(
        expect.objectContaining({ code: 'PARQUET_INVALID_VALUE', lines: 7 }),
      );
    }
  });

  it('a value its type cannot read is refused with the line and column; the source line, not the record count', async () => {
    const refused = await refusalOf('id,n\n"a\nb",1\n2,3\n3,x\n', { n: 'int64' });
    expect(refused).toBeInstanceOf(TransformError);
    expect(refused).toMatchObject({
      code: 'E_TRANSFORM_FAILED',
      transient: false,
      details: { line: 5, reason: 'column "n" expects int64, got "x"' },
    });
  });

  it('refuses a header naming a column twice, a schema column the header lacks, a record of another length, no header', async () => {
    expect(await refusalOf('id,id\n1,2\n')).toMatchObject({ details: { line: 1 } });
    expect(await refusalOf('id,n\n1,2\n', { amount: 'double' })).toMatchObject({
      details: { line: 1, reason: expect.stringContaining('"amount"') },
    });
    expect(await refusalOf('a,b\n1,2\n3\n')).toMatchObject({
      code: 'E_TRANSFORM_FAILED',
      details: { line: 3 },
    });
    expect(await refusalOf('')).toMatchObject({
      details: { line: 1, reason: 'expected a header row, got no record' },
    });
  });

  it('a header alone is a file of no rows', async () => {
    const bytes = await toParquet('a,b\n');
    expect(await rowsOf(bytes)).toEqual([]);
    expect(
      parquetMetadata(arrayBufferOf(bytes))
        .schema.slice(1)
        .map((e) => e.name),
    ).toEqual(['a', 'b']);
  });

  it('the same CSV gives the same bytes every time, and the digest is what transformAcross writes', async () => {
    const csv = 'a,b\n1,2\n3,4\n';
    expect((await toParquet(csv)).equals(await toParquet(csv))).toBe(true);
    const store = new MemoryStore();
    const info = await store.write('b', 'in/t.csv', Buffer.from(csv));
    const source = {
      store,
      bucket: 'b',
      key: 'in/t.csv',
      generation: info.generation,
      transform: 'csv-to-parquet' as const,
    };
    const digest = await transformedDigest(source);
    const written = await transformAcross(source, store, { bucket: 'b', key: 'out/t.parquet' });
    const bytes = await toParquet(csv);
    expect(digest).toEqual({ size: bytes.length, crc32c: crc32cOf(bytes) });
    expect(written.crc32c).toBe(digest.crc32c);
  });

  it('a multi-MiB CSV is written row group by row group: never more than one group held, bytes out before the input ends', async () => {
    const rows = 120_000;
    const lines: string[] = ['id,name,amount'];
    for (let i = 0; i < rows; i++) lines.push(`${i},name_${i % 997},${(i * 1.25).toFixed(2)}`);
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(2 * 2 ** 20);
    const chunkSize = 64 * 1024;
    let fed = 0;
    let fedAtFirstOutput: number | undefined;
    async function* input(): AsyncGenerator<Buffer> {
      for (let at = 0; at < text.length; at += chunkSize) {
        fed = at + chunkSize;
        yield Buffer.from(text.slice(at, at + chunkSize));
      }
    }
    const stages = transformStages('csv-to-parquet', undefined, { ...DEFAULT_PARQUET, rowGroupRows: 10_000 });
    const parquet = stages[1] as CsvToParquet;
    const chunks: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        // the header PAR1 goes out with the first group
        fedAtFirstOutput ??= fed;
        chunks.push(chunk);
        callback();
      },
    });
    await pipeline([Readable.from(input()), ...stages, sink]);
    expect(parquet.rowGroups).toBe(12);
    expect(parquet.maxBufferedRows).toBe(10_000);
    expect(fedAtFirstOutput!).toBeLessThan(text.length / 4);
    const bytes = Buffer.concat(chunks);
    const meta = parquetMetadata(arrayBufferOf(bytes));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual(Array(12).fill(10_000));
    const back = await rowsOf(bytes);
    expect(back).toHaveLength(rows);
    expect(back[rows - 1]).toEqual({
      id: String(rows - 1),
      name: `name_${(rows - 1) % 997}`,
      amount: '149998.75',
    });
  });

  it('a row group also closes once its fields hold rowGroupBytes characters', async () => {
    const lines = ['text'];
    for (let i = 0; i < 100; i++) lines.push('x'.repeat(1000));
    const stages = transformStages('csv-to-parquet', undefined, {
      ...DEFAULT_PARQUET,
      rowGroupBytes: 10_000,
    });
    await pipeline([
      Readable.from([Buffer.from(lines.join('\n'))]),
      ...stages,
      new Writable({ write: (_c, _e, cb) => cb() }),
    ]);
    const parquet = stages[1] as CsvToParquet;
    expect(parquet.rowGroups).toBe(10);
    expect(parquet.maxBufferedRows).toBe(10);
  });

  it.skipIf(!zstdAvailable())('zstd (where node:zlib has it: Node 22.15 and later)', async () => {
    const bytes = await toParquet('a,b\n1,2\n', { compression: 'zstd' });
    expect(parquetMetadata(arrayBufferOf(bytes)).row_groups[0]!.columns[0]!.meta_data!.codec).toBe('ZSTD');
  });

  it("parquetOptionsFor: the shared options and the row's own schema by route_id", () => {
    const settings = {
      options: { compression: 'snappy' as const, rowGroupRows: 5, rowGroupBytes: 10 },
      schemas: { orders: { id: 'int64' as const } },
    };
    expect(parquetOptionsFor(settings, 'orders')).toEqual({ ...settings.options, schema: { id: 'int64' } });
    expect(parquetOptionsFor(settings, 'other')).toEqual(settings.options);
    expect(parquetOptionsFor(settings, 'toString')).toEqual(settings.options);
    expect(parquetOptionsFor(undefined, 'x')).toEqual(DEFAULT_PARQUET);
  });
});
