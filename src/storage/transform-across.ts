import type { Readable, Transform } from 'node:stream';
import { TransformError } from '../model/errors.js';
import { checksumStream, type ReadDigest } from './checksum.js';
import type { CopyAcrossResult } from './stream-to-store.js';
import { transformFailure, type CsvOptions, type TransformName } from './transform.js';
import { stream } from '../util/builtins.js';
import type { CopyOptions, ObjectStore } from './types.js';
import type { ParquetOptions } from './csv-parquet.js';

/** One source generation to transform: where it is, which generation, how. */
export interface TransformSource {
  store: ObjectStore;
  bucket: string;
  key: string;
  /** The read fails with PreconditionError unless the source is this generation. */
  generation: string;
  transform: TransformName;
  csv?: CsvOptions;
  /** How `csv-to-parquet` writes: compression, row group bounds, the row's column types. */
  parquet?: ParquetOptions;
}

/**
 * Size and CRC32C of what the transform makes of the source, computed by
 * streaming it through and writing nothing (memory stays bounded): the
 * identity a transformed delivery is written with and verified against.
 * Data the transform refuses throws TransformError (permanent).
 */
export async function transformedDigest(source: TransformSource): Promise<ReadDigest> {
  const { body, stages } = await open(source);
  const checksum = checksumStream();
  const drop = new (stream().Writable)({ write: (_chunk, _encoding, callback) => callback() });
  try {
    await stream().promises.pipeline([body, ...stages, checksum, drop]);
  } catch (error) {
    throw asTransformError(source, error);
  }
  return { size: checksum.bytes, crc32c: checksum.crc32c };
}

/**
 * Streams the source through its transform into `dst` (`src.read →
 * transform → ChecksumStream → dst.write`, with backpressure). The write is
 * atomic, so a failure on either side or in the transform leaves nothing at
 * the destination. Data the transform refuses throws TransformError.
 */
export async function transformAcross(
  source: TransformSource,
  dst: ObjectStore,
  to: { bucket: string; key: string },
  options: CopyOptions = {},
): Promise<CopyAcrossResult> {
  const { ifSourceGenerationMatch: _g, sourceInfo: _s, beforeSourceRemoved: _b, ...writeOptions } = options;
  const { body, stages } = await open(source);
  const checksum = checksumStream();
  let failed: unknown;
  for (const stage of stages) {
    stage.on('error', (error) => {
      if (transformFailure(error)) failed ??= error;
    });
  }
  stream().pipeline([body, ...stages, checksum], () => undefined);
  try {
    const info = await dst.write(to.bucket, to.key, checksum, writeOptions);
    return { info, crc32c: checksum.crc32c, bytes: checksum.bytes };
  } catch (error) {
    for (const piece of [body, ...stages, checksum]) piece.destroy();
    throw asTransformError(source, failed ?? error, error);
  }
}

async function open(source: TransformSource): Promise<{ body: Readable; stages: Transform[] }> {
  // the stages' module (and node:stream) loads with the first transform, not at every start
  const { transformStages } = await import('./transform-stages.js');
  const body = await source.store.read(source.bucket, source.key, { generation: source.generation });
  return { body, stages: transformStages(source.transform, source.csv, source.parquet) };
}

/** The transform's own failure as TransformError; any other error (the read, the write) as it was. */
function asTransformError(source: TransformSource, error: unknown, otherwise: unknown = error): unknown {
  const failure = transformFailure(error);
  if (!failure) return otherwise;
  const where = `${source.store.name}/${source.bucket}/${source.key}`;
  return new TransformError(where, source.transform, failure.reason, failure.line, { cause: error });
}
