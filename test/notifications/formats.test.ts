// Every notification format × every entry point: the HTTP receiver, the Cloud
// Function, the Lambda handler (invoked directly and with SQS records), and
// each queue the batch drain reads (memory, SQLite, NATS JetStream, Pub/Sub,
// SQS). Each cell sends a notification naming a file of its own, as its
// sender would, and asserts the event the entry point decoded (bucket, key,
// generation) and that the file was routed; or, for a notification of a kind
// switchyard ignores, that it was understood and the file left alone; or, for
// a documented sample GCS could not have sent, that it was refused naming the
// field and the rule. A format that cannot reach an entry point as its sender
// sends it (an HTTP header on a queue) is a skip, declared with its reason.
// Pub/Sub (emulator), SQS (fauxqs) and NATS (127.0.0.1:4222) must be running:
// under CI=true their absence fails the suite, elsewhere it skips their column.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/model/errors.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { connectTestNats } from '../helpers/nats-server.js';
import { startPubsubEmulator, type PubsubEmulator } from '../helpers/pubsub-emulator.js';
import { requireService } from '../helpers/services.js';
import { CSV } from '../http/harness.js';
import {
  cloudFunctionEntryPoint,
  httpEntryPoint,
  lambdaEntryPoint,
  type EntryPoint,
  type EntryPointSpec,
} from './entry-points.js';
import {
  memoryEntryPoint,
  natsEntryPoint,
  pubsubEntryPoint,
  sqliteEntryPoint,
  sqsEntryPoint,
} from './queue-entry-points.js';
import { destinationOf, FORMAT_TABLE, type FormatRow } from './format-table.js';

const [emulator, fauxqs, nats] = await Promise.all([
  startPubsubEmulator().then(
    (started): PubsubEmulator | string => started,
    (error: unknown) => errorMessage(error),
  ),
  startFauxqs().then(
    (started): Fauxqs | string => started,
    (error: unknown) => errorMessage(error),
  ),
  connectTestNats(),
]);
afterAll(async () => {
  if (typeof emulator !== 'string') await emulator.stop();
  if (typeof fauxqs !== 'string') await fauxqs.stop();
});

const ENTRY_POINTS: EntryPointSpec[] = [
  httpEntryPoint(),
  cloudFunctionEntryPoint(),
  lambdaEntryPoint('direct'),
  lambdaEntryPoint('sqs'),
  memoryEntryPoint(),
  sqliteEntryPoint(),
  ...(nats ? [natsEntryPoint(nats)] : []),
  ...(requireService('Pub/Sub emulator', typeof emulator !== 'string', String(emulator))
    ? [pubsubEntryPoint(emulator as PubsubEmulator)]
    : []),
  ...(requireService('fauxqs (SQS emulator)', typeof fauxqs !== 'string', String(fauxqs))
    ? [sqsEntryPoint(fauxqs as Fauxqs)]
    : []),
];

for (const spec of ENTRY_POINTS) {
  describe(`notification formats through ${spec.name}`, () => {
    let entry: EntryPoint;
    beforeAll(async () => {
      entry = await spec.open();
    });
    afterAll(async () => entry?.close());

    for (const row of FORMAT_TABLE) {
      const reason = spec.cannot(row);
      if (reason) it.skip(`${row.name} (skipped: ${reason})`, () => undefined);
      else it(row.name, () => cell(entry, spec.name, row));
    }
  });
}

async function cell(entry: EntryPoint, name: string, row: FormatRow): Promise<void> {
  const key = row.key(name);
  const source = `${row.project}/${row.bucket}/${key}`;
  const destination = destinationOf(row, key);
  const { ws } = entry;
  if (row.expect.kind !== 'invalid') await ws.put(source, CSV);
  const observed = await entry.deliver(row.build({ bucket: row.bucket, key, generation: row.generation }));

  switch (row.expect.kind) {
    case 'routed':
      expect(observed.invalid, observed.detail).toBeUndefined();
      expect(observed.events, observed.detail).toEqual([
        { bucket: row.bucket, key, generation: row.generation },
      ]);
      if (observed.formats && row.formats) expect(observed.formats).toEqual(row.formats);
      expect((await ws.read(destination)).toString(), observed.detail).toBe(CSV);
      expect(await ws.exists(source)).toBe(false);
      break;
    case 'ignored':
      expect(observed.invalid, observed.detail).toBeUndefined();
      expect(observed.events, observed.detail).toEqual([]);
      expect(observed.ignored, observed.detail).toEqual([expect.stringMatching(row.expect.reason)]);
      expect(await ws.exists(source)).toBe(true);
      expect(await ws.exists(destination)).toBe(false);
      break;
    case 'invalid':
      expect(observed.invalid, observed.detail).toMatch(row.expect.message);
      expect(observed.events).toEqual([]);
      expect(await ws.exists(destination)).toBe(false);
      break;
  }
}
