import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTransition } from '../../src/ledger/rules.js';
import {
  DELIVERY_STATES,
  TERMINAL_STATES,
  type DeliveryRecord,
  type DeliveryState,
  type TransitionPatch,
} from '../../src/ledger/types.js';

/** The transition as the contract states it: the record copied whole, then what the state and patch change. */
function reference(
  record: DeliveryRecord,
  state: DeliveryState,
  patch: TransitionPatch | undefined,
  now: number,
): DeliveryRecord {
  const next: DeliveryRecord = { ...record, state, updatedAt: now };
  if (state === 'failed' || state === 'dead') next.attempts = record.attempts + 1;
  if (state === 'failed') next.nextAttemptAt = patch?.nextAttemptAt ?? now;
  else delete next.nextAttemptAt;
  if (patch?.errorCode !== undefined) next.errorCode = patch.errorCode;
  if (patch?.lastError !== undefined) next.lastError = patch.lastError;
  if (patch?.crc32c !== undefined) next.crc32c = patch.crc32c;
  if (patch?.bytesThroughProcess !== undefined) next.bytesThroughProcess = patch.bytesThroughProcess;
  if (patch?.sourceDeletedAt !== undefined) next.sourceDeletedAt = patch.sourceDeletedAt;
  if (patch?.destination !== undefined) next.destination = { ...patch.destination };
  if (state === 'written') next.writtenAt = now;
  if (state === 'verified') {
    next.verifiedAt = now;
    next.writtenAt ??= now;
  }
  if (state === 'done') next.doneAt = now;
  if (state === 'failed' || TERMINAL_STATES.has(state)) {
    delete next.claimedBy;
    delete next.claimExpiresAt;
  }
  return next;
}

const location = fc.record(
  { project: fc.string(), bucket: fc.string(), key: fc.string() },
  { noNullPrototype: true },
);
const time = fc.integer({ min: 0, max: 2 ** 41 });
const state = fc.constantFrom(...DELIVERY_STATES);
const record: fc.Arbitrary<DeliveryRecord> = fc.record(
  {
    id: fc.stringMatching(/^[0-9a-f]{32}$/),
    source: location,
    generation: fc.string(),
    routeId: fc.string(),
    destination: location,
    action: fc.constantFrom('move' as const, 'copy' as const),
    size: fc.nat(),
    state,
    attempts: fc.nat({ max: 9 }),
    errorCode: fc.string(),
    lastError: fc.string(),
    nextAttemptAt: time,
    crc32c: fc.string(),
    bytesThroughProcess: fc.nat(),
    createdAt: time,
    updatedAt: time,
    writtenAt: time,
    verifiedAt: time,
    doneAt: time,
    sourceDeletedAt: time,
    claimedBy: fc.string(),
    claimExpiresAt: time,
  },
  {
    requiredKeys: [
      'id',
      'source',
      'generation',
      'routeId',
      'destination',
      'action',
      'size',
      'state',
      'attempts',
      'createdAt',
      'updatedAt',
    ],
    noNullPrototype: true,
  },
);
const patch: fc.Arbitrary<TransitionPatch> = fc.record(
  {
    errorCode: fc.string(),
    lastError: fc.string(),
    nextAttemptAt: time,
    crc32c: fc.string(),
    bytesThroughProcess: fc.nat(),
    destination: location,
    sourceDeletedAt: time,
  },
  { requiredKeys: [], noNullPrototype: true },
);

describe('applyTransition', () => {
  it('is the record copied whole and changed as the contract says, for every state, patch and record', () => {
    fc.assert(
      fc.property(record, state, fc.option(patch, { nil: undefined }), time, (r, s, p, now) => {
        const before = structuredClone(r);
        const next = applyTransition(r, s, p, now);
        expect(next).toStrictEqual(reference(r, s, p, now));
        expect(r).toStrictEqual(before);
      }),
      { numRuns: 2_000 },
    );
  });
});
