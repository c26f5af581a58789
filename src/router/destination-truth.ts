import { SwitchyardError } from '../model/errors.js';
import type { DeliveryRecord, ReopenReason } from '../ledger/types.js';
import { formatLocation } from '../model/keys.js';
import type { StoreRegistry } from '../storage/registry.js';
import { proveSameBytes } from '../storage/same-bytes.js';
import { readChecksum } from '../storage/stream-to-store.js';
import type { TransformName } from '../storage/transform.js';
import type { ObjectInfo, ObjectStore } from '../storage/types.js';

/** The source of the delivery as it is now, when it still exists. */
export interface SourceNow {
  store: ObjectStore;
  object: ObjectInfo;
}

/** Why a delivery the ledger remembers as done is delivered again (Ledger.reopen). */
export const DESTINATION_LOST: ReopenReason = {
  errorCode: 'E_NOT_FOUND',
  lastError: 'the ledger said done but the destination no longer holds these bytes: delivered again',
};

/**
 * Whether the destination of a delivery the ledger remembers holds its bytes
 * *now* (invariant 1: the destination is the truth, the ledger a memory).
 * Cheap proofs first, from one look at the destination: its provenance
 * (cloud: same source and generation, and its CRC32C or MD5 when the
 * backend states one), the same generation as the delivery (a rename or hard link keeps the
 * file: same inode, size and time), the same MD5 as the source; otherwise
 * size and CRC32C, read from the file where the backend keeps none.
 * A permanent failure to look is "does not hold"; a transient one throws.
 * `transform`: the delivery's row transforms the bytes (transformedHolds).
 */
export async function destinationHolds(
  stores: StoreRegistry,
  record: DeliveryRecord,
  source?: SourceNow,
  transform?: TransformName,
): Promise<boolean> {
  try {
    const store = await stores.storeFor(record.destination.project);
    const { bucket, key } = record.destination;
    const info = await store.stat(bucket, key);
    if (transform) return info !== undefined && (await transformedHolds(store, record, info, transform));
    if (!info || info.size !== record.size) return false;
    if (info.provenance) {
      const { provenance } = info;
      const claimed = { size: record.size, crc32c: provenance.crc32c, md5: provenance.md5 };
      return (
        provenance.generation === record.generation &&
        provenance.source === formatLocation(record.source) &&
        // a checksum the destination states (CRC32C, a single-part ETag's MD5) must agree
        proveSameBytes(claimed, info) !== 'different' &&
        (record.crc32c === undefined ||
          provenance.crc32c === undefined ||
          record.crc32c === provenance.crc32c)
      );
    }
    if (info.generation === record.generation) return true;
    if (source && info.generation === source.object.generation) return true;
    if (source?.object.md5 && info.md5) return source.object.md5 === info.md5;
    const expected = record.crc32c ?? source?.object.crc32c ?? (await sourceChecksum(source));
    if (!expected) return false;
    return (await readChecksum(store, bucket, key, info)).crc32c === expected;
  } catch (error) {
    if (error instanceof SwitchyardError && !error.transient) return false;
    throw error;
  }
}

/**
 * A transformed destination holds the delivery when its provenance names
 * this source generation and transform and the CRC32C of the transformed
 * bytes the ledger kept (and a checksum the destination states agrees);
 * without provenance (a local folder), when its CRC32C is the one the ledger
 * kept. The source's size says nothing about the transformed bytes.
 */
async function transformedHolds(
  store: ObjectStore,
  record: DeliveryRecord,
  info: ObjectInfo,
  transform: TransformName,
): Promise<boolean> {
  if (!record.crc32c) return false;
  const { provenance } = info;
  if (provenance) {
    return (
      provenance.generation === record.generation &&
      provenance.source === formatLocation(record.source) &&
      provenance.transform === transform &&
      provenance.crc32c === record.crc32c &&
      proveSameBytes({ size: info.size, crc32c: provenance.crc32c }, info) !== 'different'
    );
  }
  return (await readChecksum(store, record.destination.bucket, info.key, info)).crc32c === record.crc32c;
}

async function sourceChecksum(source: SourceNow | undefined): Promise<string | undefined> {
  if (!source) return undefined;
  const { store, object } = source;
  return (await readChecksum(store, object.bucket, object.key, object)).crc32c;
}
