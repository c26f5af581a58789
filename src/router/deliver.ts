import { ChecksumMismatchError, ConflictError, PreconditionError, SwitchyardError } from '../model/errors.js';
import type { DeliveryRecord } from '../ledger/types.js';
import type { Route } from '../referential/types.js';
import { formatLocation } from '../model/keys.js';
import { userMetadata } from '../storage/provenance.js';
import { copyAcross, readChecksum } from '../storage/stream-to-store.js';
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
  /** Bounds the deliveries moving bytes through this process at once (streamed and local copies); renames and server-side copies skip it. */
  byteSlots?: Semaphore;
  /** Called after the destination is written, before it is verified (the ledger's `written`). */
  onWritten(patch: { crc32c?: string; bytesThroughProcess: number; destination: Location }): Promise<void>;
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

interface Expected {
  size: number;
  crc32c?: string;
}

/**
 * Writes one delivery and verifies it (size and CRC32C equal at the
 * destination). Never deletes the source, except through a rename, which
 * moves it. Throws typed errors: a conflict under `fail` is permanent, a
 * checksum mismatch or backend hiccup is transient.
 */
export async function executeDelivery(input: DeliveryInput): Promise<DeliveryOutcome> {
  for (let round = 1; ; round++) {
    try {
      return await attemptDelivery(input, round);
    } catch (error) {
      // A precondition on the destination means another writer got there first: judge it again.
      // One on the source means the source changed: this generation is over (the caller decides).
      if (!(error instanceof PreconditionError) || round >= 3) throw error;
      const current = await input.sourceStore.stat(input.record.source.bucket, input.record.source.key);
      if (current?.generation !== input.record.generation) throw error;
    }
  }
}

async function attemptDelivery(input: DeliveryInput, round: number): Promise<DeliveryOutcome> {
  const { record, route, object, sourceStore: src, destinationStore: dst } = input;
  let destination = record.destination;
  const expected: Expected = { size: object.size, crc32c: record.crc32c ?? object.crc32c };
  const renamable = input.mayRename && dst.rename !== undefined && dst.canCopyFrom(src);

  // A first rename needs no look first: it never replaces, and a key already
  // taken fails it with PreconditionError, so the next round judges what is there.
  const existing = renamable && round === 1 ? undefined : await dst.stat(destination.bucket, destination.key);
  let ifGenerationMatch = '0';
  if (existing) {
    const verdict = await judgeExisting(input, existing, expected);
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
          const again = await judgeExisting(input, versioned, expected);
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
    const renamed = await tryRename(dst, src, from, to, record.generation, ifGenerationMatch);
    if (renamed) return renamedOutcome(input, renamed, destination);
  }

  const copy = (): Promise<DeliveryOutcome> => copyAndVerify(input, destination, ifGenerationMatch, expected);
  // bytes pass through this process when streaming across stores, and in a
  // local copy (read, checksummed, written here); a cloud copy stays server-side
  const throughProcess = !dst.canCopyFrom(src) || dst.capabilities.copyUsesProcess;
  return input.byteSlots && throughProcess ? input.byteSlots.run(copy) : copy();
}

/** Copies the source to `destination` (server-side when the stores allow) and verifies the bytes there. */
async function copyAndVerify(
  input: DeliveryInput,
  destination: Location,
  ifGenerationMatch: string,
  expected: Expected,
): Promise<DeliveryOutcome> {
  const { record, object, sourceStore: src, destinationStore: dst } = input;
  const from = { bucket: record.source.bucket, key: record.source.key };
  const to = { bucket: destination.bucket, key: destination.key };
  if (!expected.crc32c && dst.capabilities.metadata) {
    // Provenance is written with the object, so its checksum must be known first.
    expected.crc32c = (await readChecksum(src, from.bucket, from.key, object)).crc32c;
  }
  const options: CopyOptions & { ifSourceGenerationMatch: string } = {
    ifGenerationMatch,
    ifSourceGenerationMatch: record.generation,
    sourceInfo: object,
    size: object.size,
    contentType: object.contentType,
    contentEncoding: object.contentEncoding,
    cacheControl: object.cacheControl,
    metadata: userMetadata(object.metadata),
    provenance: expected.crc32c ? provenanceOf(input, expected.crc32c) : undefined,
  };

  let writtenCrc: string | undefined;
  // what the destination says it holds, when the write or copy reported it (no second look needed)
  let reported: { size: number; crc32c: string } | undefined;
  let bytesThroughProcess = 0;
  if (dst.canCopyFrom(src)) {
    const info = await dst.copy(src, from, to, options);
    writtenCrc = info.crc32c;
    reported = destinationReport(info);
  } else {
    const copied = await copyAcross(src, from.bucket, from.key, dst, to.bucket, to.key, options);
    writtenCrc = copied.crc32c;
    bytesThroughProcess = copied.bytes;
    reported = destinationReport(copied.info);
  }
  expected.crc32c ??= writtenCrc ?? (await readChecksum(src, from.bucket, from.key, object)).crc32c;
  if (writtenCrc && writtenCrc !== expected.crc32c) {
    throw new ChecksumMismatchError(formatLocation(destination), expected as Required<Expected>, {
      size: object.size,
      crc32c: writtenCrc,
    });
  }
  await input.onWritten({ crc32c: expected.crc32c, bytesThroughProcess, destination });

  const actual = reported ?? (await checksumAt(dst, destination));
  if (actual.size !== expected.size || actual.crc32c !== expected.crc32c) {
    throw new ChecksumMismatchError(formatLocation(destination), expected as Required<Expected>, actual);
  }
  return { state: 'verified', destination, crc32c: actual.crc32c, bytesThroughProcess, sourceGone: false };
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
function renamedOutcome(input: DeliveryInput, renamed: ObjectInfo, destination: Location): DeliveryOutcome {
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
 * it); superseded when its provenance says a newer generation of the same
 * source is there; otherwise a conflict for the route's policy to settle.
 */
async function judgeExisting(
  input: DeliveryInput,
  existing: ObjectInfo,
  expected: Expected,
): Promise<Verdict> {
  const { record, object, sourceStore: src, destinationStore: dst } = input;
  const sourceName = formatLocation(record.source);
  const provenance = existing.provenance;
  if (provenance?.source === sourceName && provenance.generation === record.generation) {
    const actual = await checksumAt(dst, { ...record.destination, key: existing.key }, existing);
    if (actual.size === object.size && actual.crc32c === provenance.crc32c)
      return { kind: 'delivered', crc32c: actual.crc32c };
  }
  if (provenance?.source === sourceName && provenance.sourceUpdated) {
    if (Date.parse(provenance.sourceUpdated) > object.updated.getTime()) {
      return {
        kind: 'superseded',
        reason: `destination holds generation ${provenance.generation}, newer than ${record.generation}`,
      };
    }
  }
  if (existing.size !== object.size) return { kind: 'other' };
  expected.crc32c ??= (await readChecksum(src, record.source.bucket, record.source.key, object)).crc32c;
  const actual = await checksumAt(dst, { ...record.destination, key: existing.key }, existing);
  if (actual.size === expected.size && actual.crc32c === expected.crc32c)
    return { kind: 'delivered', crc32c: actual.crc32c };
  return { kind: 'other' };
}

/** The destination's own size and CRC32C of what a write or copy left there, when it reported them. */
function destinationReport(info: ObjectInfo): { size: number; crc32c: string } | undefined {
  return info.destinationChecksum && info.crc32c ? { size: info.size, crc32c: info.crc32c } : undefined;
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
  generation: string,
  ifGenerationMatch: string,
): Promise<ObjectInfo | undefined> {
  try {
    return await dst.rename!(src, from, to, { ifSourceGenerationMatch: generation, ifGenerationMatch });
  } catch (error) {
    if (error instanceof SwitchyardError && error.code === 'E_UNSUPPORTED') return undefined;
    throw error;
  }
}

function provenanceOf(input: DeliveryInput, crc32c: string): Provenance {
  return {
    source: formatLocation(input.record.source),
    generation: input.record.generation,
    crc32c,
    route: input.route.id,
    sourceUpdated: input.object.updated.toISOString(),
  };
}
