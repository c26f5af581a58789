import {
  ChecksumMismatchError,
  ConflictError,
  NotFoundError,
  PreconditionError,
  SwitchyardError,
} from '../model/errors.js';
import type { DeliveryRecord } from '../ledger/types.js';
import type { Route } from '../referential/types.js';
import { formatLocation } from '../model/keys.js';
import { userMetadata } from '../storage/provenance.js';
import { proveSameBytes } from '../storage/same-bytes.js';
import { copyAcross, readChecksum } from '../storage/stream-to-store.js';
import { transformAcross, transformedDigest } from '../storage/transform-across.js';
import { transformedContentType, type CsvOptions } from '../storage/transform.js';
import { parquetOptionsFor, type ParquetOptions, type ParquetSettings } from '../storage/csv-parquet.js';
import type { CopyOptions, Location, ObjectInfo, ObjectStore, Provenance } from '../storage/types.js';
import type { Semaphore } from '../util/pool.js';
import { versionedKey } from './plan.js';

export interface DeliveryInput {
  record: DeliveryRecord;
  route: Route;
  source: Location;
  object: ObjectInfo;
  sourceStore: ObjectStore;
  destinationStore: ObjectStore;
  /** The move may be done by rename: this is the object's only delivery and its row says move. */
  mayRename: boolean;
  /** No delivery of this source generation deletes it: every row routing it copies (sourceStaysIn). */
  sourceStays: boolean;
  /** Bounds the deliveries moving bytes through this process at once (streamed and local copies); renames and server-side copies skip it. */
  byteSlots?: Semaphore;
  /** Called after the destination is written when its answer proves nothing, before the read that verifies it (the ledger's `written`). */
  onWritten(patch: { crc32c?: string; bytesThroughProcess: number; destination: Location }): Promise<void>;
  /**
   * Called when a rename has put the object at `destination`, durably, and
   * before the source is removed (CopyOptions.beforeSourceRemoved): a
   * record made here stands before the source goes. Its failure keeps the
   * source and fails the delivery.
   */
  onMoved?(destination: Location): Promise<void>;
  /** How a `csv-to-jsonl` row reads its CSV (switchyard.yaml `csv`; default `,` and `"`). */
  csv?: CsvOptions;
  /** How a `csv-to-parquet` row writes (switchyard.yaml `transforms.parquet`, its schema by route_id). */
  parquet?: ParquetSettings;
}

export type DeliveryOutcome =
  | {
      state: 'verified';
      destination: Location;
      crc32c: string;
      bytesThroughProcess: number;
      sourceGone: boolean;
    }
  | { state: 'superseded'; destination: Location; reason: string };

/**
 * The size and content identity the destination must hold: the source
 * generation's CRC32C and/or MD5 as a look stated them (S3: the server's
 * CRC32C, or a single-part non-KMS ETag), else as a read of the source
 * computed them; under a transform, the size and CRC32C of the transformed
 * bytes (transformedDigest).
 */
interface Expected {
  size: number;
  crc32c?: string;
  md5?: string;
}

/**
 * Writes one delivery and verifies it (size and CRC32C equal at the
 * destination). Never deletes the source, except through a rename, which
 * moves it. Throws typed errors: a conflict under `fail` is permanent, a
 * checksum mismatch or backend hiccup is transient.
 */
export async function executeDelivery(input: DeliveryInput): Promise<DeliveryOutcome> {
  const { bucket, key } = input.record.source;
  for (let round = 1; ; round++) {
    try {
      return await attemptDelivery(input, round);
    } catch (error) {
      if (error instanceof NotFoundError) throw await sourceGoneAs(input, error);
      // A precondition on the destination means another writer got there first: judge it again.
      // One on the source means the source changed: this generation is over (the caller decides).
      if (!(error instanceof PreconditionError) || round >= 3) throw error;
      const current = await input.sourceStore.stat(bucket, key);
      if (current?.generation !== input.record.generation) throw error;
    }
  }
}

/**
 * A delivery that found nothing where it looked: when the source generation
 * is no longer there (removed, or written again, since the look or listing
 * the delivery was planned from), that generation is over, a
 * PreconditionError like a source changed under the copy; otherwise the
 * error as it was.
 */
async function sourceGoneAs(input: DeliveryInput, error: NotFoundError): Promise<Error> {
  const { record, sourceStore } = input;
  const current = await sourceStore.stat(record.source.bucket, record.source.key).catch(() => null);
  if (current === null || current?.generation === record.generation) return error;
  const where = `${sourceStore.name}/${record.source.bucket}/${record.source.key}`;
  return new PreconditionError(where, record.generation, current?.generation, { cause: error });
}

async function attemptDelivery(input: DeliveryInput, round: number): Promise<DeliveryOutcome> {
  const { record, route, sourceStore: src, destinationStore: dst } = input;
  let destination = record.destination;
  const transform = route.transform;
  let expected = await identityBeforeWrite(input);
  const judge = async (found: ObjectInfo) =>
    judgeExisting(input, found, (expected ??= await transformedIdentity(input)));
  // transformed bytes are written by this process: never a rename nor a server-side copy
  const renamable = !transform && input.mayRename && dst.rename !== undefined && dst.canCopyFrom(src);

  // A first rename needs no look first, nor a first server-side copy to a
  // store that enforces `ifGenerationMatch: '0'` itself (S3 If-None-Match: *
  // on CopyObject, GCS): neither replaces, and a key already taken fails it
  // with PreconditionError, so the next round judges what is there. An
  // overwrite needs the generation it replaces, so it looks first.
  const blind =
    !transform &&
    round === 1 &&
    (renamable ||
      (route.onConflict !== 'overwrite' &&
        dst.capabilities.conditionalWrite &&
        dst.canCopyFrom(src) &&
        !dst.capabilities.copyUsesProcess));
  // the look a write makes first: a store may answer "nothing there" from a fresh listing (statBeforeWrite)
  const existing = blind ? undefined : await lookBeforeWrite(dst, destination);
  let ifGenerationMatch = '0';
  if (existing) {
    const verdict = await judge(existing);
    if (verdict.kind === 'delivered') return alreadyThere(destination, verdict.crc32c);
    if (verdict.kind === 'superseded') return { state: 'superseded', destination, reason: verdict.reason };
    switch (route.onConflict) {
      case 'fail':
        throw new ConflictError(formatLocation(destination), 'on_conflict is fail; the source is kept');
      case 'overwrite':
        ifGenerationMatch = existing.generation;
        break;
      case 'version': {
        destination = { ...destination, key: versionedKey(record.destination.key, record.generation) };
        const versioned = await dst.stat(destination.bucket, destination.key);
        if (versioned) {
          const again = await judge(versioned);
          if (again.kind === 'delivered') return alreadyThere(destination, again.crc32c);
          throw new ConflictError(formatLocation(destination), 'the versioned key already holds other bytes');
        }
        break;
      }
    }
  }

  const from = { bucket: record.source.bucket, key: record.source.key };
  const to = { bucket: destination.bucket, key: destination.key };

  if (renamable) {
    const renamed = await tryRename(dst, src, from, to, {
      ifSourceGenerationMatch: record.generation,
      ifGenerationMatch,
      ...(input.onMoved ? { beforeSourceRemoved: () => input.onMoved!(destination) } : {}),
    });
    if (renamed) return renamedOutcome(input, renamed, destination);
  }

  // what the look at the destination found, so the write need not look again
  const seen = !blind && destination.key === record.destination.key ? (existing ?? null) : undefined;
  const copy = (): Promise<DeliveryOutcome> =>
    copyAndVerify(input, destination, { ifGenerationMatch, destinationInfo: seen }, expected);
  // bytes pass through this process when streaming across stores, and in a
  // local copy (read, checksummed, written here); a cloud copy stays server-side
  const throughProcess = transform !== undefined || !dst.canCopyFrom(src) || dst.capabilities.copyUsesProcess;
  return input.byteSlots && throughProcess ? input.byteSlots.run(copy) : copy();
}

/**
 * Copies the source to `destination` (server-side when the stores allow) and
 * verifies the bytes there by what the destination vouches for in the
 * write's or copy's answer (proveSameBytes: its CRC32C, or its MD5 from a
 * single-part non-KMS S3 ETag), reading nothing back when that proves them.
 * A transform's output whose identity was not needed before the write
 * (`expected` undefined: a store keeping no provenance, nothing at the key)
 * is known by the size and CRC32C of what the write's pass streamed, and
 * verified against what the destination states it holds, as a plain copy
 * through this process is.
 * A server-side copy the server vouches for (ObjectStore.copyVouched: S3
 * CopyObject pinned to the source's ETag where the pin is enforced; or,
 * where the source stays, a copy the store confirms by a look at the
 * source after it, CopyOptions.sourceLookAfter) needs no identity in
 * common: its provenance names the source's ETag, nothing is read.
 * Otherwise, only where no identity is in common (an S3 multipart or
 * SSE-KMS ETag and no checksum) is the source read, once: while the
 * server copies it, the provenance naming its ETag; before a write through
 * this process (whose provenance needs the CRC32C). The destination is read
 * after the write only when its answer still proves nothing.
 */
async function copyAndVerify(
  input: DeliveryInput,
  destination: Location,
  target: Pick<CopyOptions, 'destinationInfo'> & { ifGenerationMatch: string },
  known: Expected | undefined,
): Promise<DeliveryOutcome> {
  const { record, object, sourceStore: src, destinationStore: dst } = input;
  const from = { bucket: record.source.bucket, key: record.source.key };
  const to = { bucket: destination.bucket, key: destination.key };
  const transform = input.route.transform;
  const byServer = copyVouchedByServer(input);
  const looked = !byServer && copyConfirmedByLook(input);
  const vouched = byServer || looked;
  const { alongside } = known ? await sourceIdentity(input, known, vouched) : {};
  const options: CopyOptions & { ifSourceGenerationMatch: string } = {
    ...target,
    ifSourceGenerationMatch: record.generation,
    sourceInfo: object,
    ...(known ? { size: known.size } : {}),
    contentType: transform ? transformedContentType(transform) : object.contentType,
    contentEncoding: transform ? undefined : object.contentEncoding,
    cacheControl: object.cacheControl,
    metadata: userMetadata(object.metadata),
    provenance: known && provenanceIfKnown(input, known, vouched || alongside !== undefined),
    ...(alongside ? { sourceReadAlongside: true } : {}),
    ...(looked ? { sourceLookAfter: true } : {}),
  };
  const { written, writtenCrc, bytesThroughProcess } = await writeOnce(input, from, to, options);
  await alongside;
  const expected: Expected = known ?? { size: bytesThroughProcess, crc32c: writtenCrc };
  // what the destination says it holds, from the write's or copy's answer (no second look)
  const reported = destinationReport(written);
  if (writtenCrc && expected.crc32c && writtenCrc !== expected.crc32c) {
    throw new ChecksumMismatchError(formatLocation(destination), expected, {
      size: expected.size,
      crc32c: writtenCrc,
    });
  }
  let proof = proveSameBytes(expected, reported);
  if (proof === 'different') throw new ChecksumMismatchError(formatLocation(destination), expected, reported);
  if (proof === 'unknown' && vouched) {
    // nothing in common to compare, but the server vouched for the copy (pinned to the source's ETag,
    // or the source found still that generation after it)
    proof = 'same';
    expected.crc32c ??= writtenCrc;
  }
  if (proof === 'unknown') {
    expected.crc32c ??= writtenCrc ?? (await readChecksum(src, from.bucket, from.key, object)).crc32c;
    // The source's CRC32C is known now (from the bytes the copy read from that
    // generation, or a read of it): the destination's own, when its answer
    // states one (FsStore's one-pass copy), is compared with it, no read back.
    proof = proveSameBytes(expected, reported);
    if (proof === 'different')
      throw new ChecksumMismatchError(formatLocation(destination), expected, reported);
  }
  if (proof === 'same') {
    // proven by the write's own answer: `verified` straight away (the ledger
    // stamps written and verified with one time), no `written` of its own
    const crc32c = expected.crc32c ?? '';
    return { state: 'verified', destination, crc32c, bytesThroughProcess, sourceGone: false };
  }
  // the bytes stand but prove nothing yet: `written` is recorded before the read that verifies them
  await input.onWritten({ crc32c: expected.crc32c, bytesThroughProcess, destination });
  const actual = await checksumAt(dst, destination);
  if (actual.size !== expected.size || actual.crc32c !== expected.crc32c) {
    throw new ChecksumMismatchError(formatLocation(destination), expected, actual);
  }
  return { state: 'verified', destination, crc32c: actual.crc32c, bytesThroughProcess, sourceGone: false };
}

type Ref = { bucket: string; key: string };

/**
 * Reads the source where no identity of it is known and the write must carry
 * one or be proved by one (an S3 multipart or SSE-KMS ETag, no checksum, no
 * vouched copy): its CRC32C, and its MD5 where the destination can vouch for
 * no more than an ETag. A write through this process waits for it (the
 * provenance written with the object carries the CRC32C); a server-side copy
 * does not (`alongside`: the read, its provenance naming the source's ETag).
 */
async function sourceIdentity(
  input: DeliveryInput,
  expected: Expected,
  vouched: boolean,
): Promise<{ alongside?: Promise<void> }> {
  const { record, object, sourceStore: src, destinationStore: dst } = input;
  if (expected.crc32c || expected.md5 || !dst.capabilities.metadata || vouched) return {};
  const read = readChecksum(src, record.source.bucket, record.source.key, object, {
    md5: !dst.capabilities.checksumHeaders,
  }).then((digest) => learnIdentity(expected, digest));
  if (!serverSideCopy(input)) {
    await read;
    return {};
  }
  // its failure is the delivery's, raised once the copy settled (copyAndVerify)
  read.catch(() => undefined);
  return { alongside: read };
}

/** What a read of the source found: its CRC32C, and its MD5 when asked for. */
function learnIdentity(expected: Expected, read: { crc32c: string; md5?: string }): void {
  expected.crc32c = read.crc32c;
  if (read.md5) expected.md5 = read.md5;
}

/** The write is a copy the server makes: no transform, no bytes through this process. */
function serverSideCopy({ route, object, sourceStore, destinationStore }: DeliveryInput): boolean {
  if (route.transform || !object.etag) return false;
  return destinationStore.canCopyFrom(sourceStore) && !destinationStore.capabilities.copyUsesProcess;
}

/**
 * A server-side copy the server vouches for (ObjectStore.copyVouched): it
 * needs no identity of the source first, the provenance names its ETag.
 */
function copyVouchedByServer(input: DeliveryInput): boolean {
  const { object, sourceStore, destinationStore } = input;
  return serverSideCopy(input) && destinationStore.copyVouched?.(sourceStore, object.size) === true;
}

/**
 * A server-side copy of a source that stays, on a server that does not
 * enforce the copy's pin: the store's look at the source after the copy
 * (CopyOptions.sourceLookAfter) stands for the pin, and the server's copy
 * is taken at its word, as where the pin is enforced. A source some move
 * deletes is read instead (sourceIdentity): its bytes are proven before it
 * goes.
 */
function copyConfirmedByLook(input: DeliveryInput): boolean {
  const { object, sourceStore, destinationStore } = input;
  if (!input.sourceStays || !serverSideCopy(input)) return false;
  return destinationStore.copyConfirmable?.(sourceStore, object.size) === true;
}

function lookBeforeWrite(store: ObjectStore, at: Location): Promise<ObjectInfo | undefined> {
  return store.statBeforeWrite ? store.statBeforeWrite(at.bucket, at.key) : store.stat(at.bucket, at.key);
}

/** The write itself: a copy between stores that allow it, else a stream through this process. */
async function writeOnce(
  input: DeliveryInput,
  from: Ref,
  to: Ref,
  options: CopyOptions,
): Promise<{ written: ObjectInfo; writtenCrc: string | undefined; bytesThroughProcess: number }> {
  const { sourceStore: src, destinationStore: dst, route, record } = input;
  if (route.transform) {
    const source = { store: src, ...from, generation: record.generation, transform: route.transform };
    const copied = await transformAcross({ ...source, ...csvOf(input) }, dst, to, options);
    return { written: copied.info, writtenCrc: copied.crc32c, bytesThroughProcess: copied.bytes };
  }
  if (dst.canCopyFrom(src)) {
    const written = await dst.copy(src, from, to, options);
    return { written, writtenCrc: written.crc32c, bytesThroughProcess: 0 };
  }
  const copied = await copyAcross(src, from.bucket, from.key, dst, to.bucket, to.key, options);
  return { written: copied.info, writtenCrc: copied.crc32c, bytesThroughProcess: copied.bytes };
}

/**
 * The identity the destination must hold, as far as the write needs it
 * first: the source generation's; a transform's output's (its own pass)
 * where the provenance is written with the object. Undefined where a
 * transform writes to a store that keeps no provenance: a look that finds
 * the key taken asks for it then (to judge what is there), else the
 * write's own pass learns it (copyAndVerify): one pass through the source,
 * not two.
 */
async function identityBeforeWrite(input: DeliveryInput): Promise<Expected | undefined> {
  const { record, object, route, destinationStore } = input;
  if (!route.transform)
    return {
      size: object.size,
      crc32c: record.crc32c ?? object.crc32c,
      ...(object.md5 ? { md5: object.md5 } : {}),
    };
  return destinationStore.capabilities.metadata ? transformedIdentity(input) : undefined;
}

/**
 * Size and CRC32C of what the row's transform makes of this source
 * generation, by one pass through it that writes nothing: the provenance is
 * written with the object, so its identity must be known before the write;
 * data the transform refuses fails here (TransformError), before anything
 * is written. The pass takes a byte slot like a streamed copy.
 */
async function transformedIdentity(input: DeliveryInput): Promise<Expected> {
  const { record, sourceStore, route } = input;
  const digest = () =>
    transformedDigest({
      store: sourceStore,
      bucket: record.source.bucket,
      key: record.source.key,
      generation: record.generation,
      transform: route.transform!,
      ...csvOf(input),
    });
  const { size, crc32c } = await (input.byteSlots ? input.byteSlots.run(digest) : digest());
  return { size, crc32c };
}

/** How the row's transform reads CSV and writes Parquet (its schema found by its route_id). */
function csvOf(input: DeliveryInput): { csv?: CsvOptions; parquet?: ParquetOptions } {
  return {
    ...(input.csv ? { csv: input.csv } : {}),
    ...(input.route.transform === 'csv-to-parquet'
      ? { parquet: parquetOptionsFor(input.parquet, input.route.id) }
      : {}),
  };
}

/** A destination found already holding this generation's bytes: verified, nothing written. */
function alreadyThere(destination: Location, crc32c: string): DeliveryOutcome {
  return { state: 'verified', destination, crc32c, bytesThroughProcess: 0, sourceGone: false };
}

/**
 * A rename moved the source to `destination`: verified when what arrived is
 * this generation at its size (a rename reports no checksum), and the source
 * is gone with it.
 */
/** A rename's answer as a delivery's outcome: the object at `destination` must be the source generation moved. */
export function renamedOutcome(
  input: Pick<DeliveryInput, 'record' | 'object'>,
  renamed: ObjectInfo,
  destination: Location,
): DeliveryOutcome {
  const { record, object } = input;
  if (renamed.size !== object.size || renamed.generation !== record.generation) {
    throw new ChecksumMismatchError(formatLocation(destination), { size: object.size, crc32c: '' }, renamed);
  }
  return { state: 'verified', destination, crc32c: '', bytesThroughProcess: 0, sourceGone: true };
}

type Verdict =
  { kind: 'delivered'; crc32c: string } | { kind: 'superseded'; reason: string } | { kind: 'other' };

/**
 * A destination that already exists is delivered when it carries this
 * generation's provenance or holds identical bytes (crash recovery relies on
 * it), judged by size and content identity: what the look at it states
 * (CRC32C, MD5) against the provenance's or the source's, reading the
 * objects only when no identity is in common; superseded when its provenance
 * says a newer generation of the same source is there; otherwise a conflict
 * for the route's policy to settle.
 */
async function judgeExisting(
  input: DeliveryInput,
  existing: ObjectInfo,
  expected: Expected,
): Promise<Verdict> {
  const { record, object, route, sourceStore: src, destinationStore: dst } = input;
  const sourceName = formatLocation(record.source);
  const provenance = existing.provenance;
  const at = { ...record.destination, key: existing.key };
  if (
    provenance?.source === sourceName &&
    provenance.generation === record.generation &&
    provenance.transform === route.transform
  ) {
    // under a transform, `expected` is the transformed bytes' size (and provenance.crc32c their CRC32C)
    const claimed = { size: expected.size, crc32c: provenance.crc32c, md5: provenance.md5 };
    const proof = proveSameBytes(claimed, existing);
    if (proof === 'same') return { kind: 'delivered', crc32c: claimed.crc32c ?? existing.crc32c ?? '' };
    if (proof === 'unknown' && provenance.crc32c) {
      const actual = await checksumAt(dst, at, existing);
      if (actual.size === expected.size && actual.crc32c === provenance.crc32c)
        return { kind: 'delivered', crc32c: actual.crc32c };
    }
  }
  if (provenance?.source === sourceName && provenance.sourceUpdated) {
    if (Date.parse(provenance.sourceUpdated) > object.updated.getTime()) {
      return {
        kind: 'superseded',
        reason: `destination holds generation ${provenance.generation}, newer than ${record.generation}`,
      };
    }
  }
  const stated = proveSameBytes(expected, existing);
  if (stated === 'same') return { kind: 'delivered', crc32c: expected.crc32c ?? existing.crc32c ?? '' };
  if (stated === 'different') return { kind: 'other' };
  expected.crc32c ??= (await readChecksum(src, record.source.bucket, record.source.key, object)).crc32c;
  const actual = await checksumAt(dst, at, existing);
  if (actual.size === expected.size && actual.crc32c === expected.crc32c)
    return { kind: 'delivered', crc32c: actual.crc32c };
  return { kind: 'other' };
}

/**
 * What the destination itself states it holds after a write or copy: its
 * size, its own CRC32C (destinationChecksum), and the MD5 the backend
 * reported for it (S3: from the answer's single-part non-KMS ETag).
 */
function destinationReport(info: ObjectInfo): Expected {
  return {
    size: info.size,
    ...(info.destinationChecksum && info.crc32c ? { crc32c: info.crc32c } : {}),
    ...(info.md5 ? { md5: info.md5 } : {}),
  };
}

/** Size and CRC32C at `location`; `stated`: what a stat of it just answered (see readChecksum). */
async function checksumAt(
  store: ObjectStore,
  location: Location,
  stated?: ObjectInfo,
): Promise<{ size: number; crc32c: string }> {
  return readChecksum(store, location.bucket, location.key, stated);
}

async function tryRename(
  dst: ObjectStore,
  src: ObjectStore,
  from: { bucket: string; key: string },
  to: { bucket: string; key: string },
  options: CopyOptions,
): Promise<ObjectInfo | undefined> {
  try {
    return await dst.rename!(src, from, to, options);
  } catch (error) {
    if (error instanceof SwitchyardError && error.code === 'E_UNSUPPORTED') return undefined;
    throw error;
  }
}

/**
 * The provenance to write; undefined without an identity: a CRC32C, an MD5,
 * or (`byEtag`) the source's ETag, for a server-side copy the server vouches
 * for or one whose source is read while it copies.
 */
function provenanceIfKnown(
  input: DeliveryInput,
  identity: Expected,
  byEtag: boolean,
): Provenance | undefined {
  const etag = byEtag && !identity.crc32c && !identity.md5 ? input.object.etag : undefined;
  return identity.crc32c || identity.md5 || etag ? provenanceOf(input, identity, etag) : undefined;
}

function provenanceOf(input: DeliveryInput, identity: Expected, etag?: string): Provenance {
  return {
    source: formatLocation(input.record.source),
    generation: input.record.generation,
    ...(identity.crc32c ? { crc32c: identity.crc32c } : {}),
    ...(identity.md5 ? { md5: identity.md5 } : {}),
    ...(etag ? { etag } : {}),
    route: input.route.id,
    sourceUpdated: input.object.updated.toISOString(),
    ...(input.route.transform ? { transform: input.route.transform } : {}),
  };
}
