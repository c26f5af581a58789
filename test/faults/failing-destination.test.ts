// A destination that fails for a while (a file standing where its folder
// should be): worker processes retry the messages with backoff, ack nothing
// early (every source stays, every message stays in the work-queue stream),
// and deliver everything once the destination is fixed. Needs the machine's
// NATS and PostgreSQL; under CI=true their absence fails.
import { rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { connectTestNats } from '../helpers/nats-server.js';
import { connectTestPostgres } from '../helpers/postgres.js';
import { FaultBed, HEADER, ledgerRows, sleep } from './bed.js';

const FILES = 200;
const ROUTES = `${HEADER}
land,in,\\.dat$,broken,raw,incoming,move,fail,to-broken
`;

const postgres = await connectTestPostgres();
const nats = await connectTestNats();

if (postgres && nats) {
  describe('a destination that fails for a while', () => {
    let bed: FaultBed | undefined;
    beforeAll(() => ensureBuilt());
    afterAll(async () => {
      await bed?.remove();
      await nats.cleanup();
      await postgres.cleanup();
    });

    /** Messages still stored in the work-queue stream (an ack removes one). */
    async function storedMessages(queueUrl: string): Promise<number> {
      const stream = new URL(queueUrl).pathname.slice(1);
      const nc = await connect({ servers: nats!.servers });
      try {
        return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
      } finally {
        await nc.close();
      }
    }

    it('retries with backoff, acks nothing early, delivers everything once it recovers', async () => {
      bed = await FaultBed.create({
        queueUrl: nats.newQueueUrl(),
        ledgerUrl: postgres.url,
        routes: ROUTES,
        workerArgs: ['--max-attempts', '10', '--progress-every', '2s'],
      });
      const blocker = bed.folder('broken/raw/incoming');
      await mkdir(path.dirname(blocker), { recursive: true });
      await writeFile(blocker, 'a file standing where the destination folder should be\n');
      const names = await bed.land(FILES);
      await bed.publish(names);
      for (let i = 0; i < 2; i++) bed.spawnWorker(i);

      await bed.until(
        async () => {
          const rows = (await ledgerRows(bed!.ledgerUrl).catch(() => undefined))?.deliveries ?? [];
          return rows.length === FILES && rows.every((r) => r.state === 'failed' && r.attempts >= 2);
        },
        60_000,
        async () => JSON.stringify((await ledgerRows(bed!.ledgerUrl)).deliveries.slice(0, 3)),
      );
      const failing = await ledgerRows(bed.ledgerUrl);
      expect(new Set(failing.deliveries.map((d) => d.state))).toEqual(new Set(['failed']));
      expect(await bed.count('land/in')).toBe(FILES);
      expect(await storedMessages(bed.queueUrl)).toBe(FILES);
      expect((await bed.queueStats()).dead).toBe(0);
      expect((await bed.grepLogs(/E_DESTINATION_UNWRITABLE/)).length).toBeGreaterThan(0);

      await sleep(1_000);
      expect(await bed.count('land/in')).toBe(FILES);
      await rm(blocker);

      await bed.until(
        async () => (await bed!.count('broken/raw/incoming')) === FILES,
        90_000,
        async () => `${await bed!.count('broken/raw/incoming')} of ${FILES} delivered`,
      );
      await bed.until(
        async () => (await storedMessages(bed!.queueUrl)) === 0,
        30_000,
        async () => `${await storedMessages(bed!.queueUrl)} messages left`,
      );
      expect(await bed.stopAll()).toEqual([0, 0]);

      const { deliveries, unrouted } = await ledgerRows(bed.ledgerUrl);
      expect(deliveries).toHaveLength(FILES);
      expect(deliveries.filter((d) => d.state !== 'done')).toEqual([]);
      expect(deliveries.every((d) => d.attempts >= 2 && d.attempts < 10)).toBe(true);
      expect(unrouted).toBe(0);
      expect(await bed.count('land/in')).toBe(0);
      const contents = await bed.contents('broken/raw/incoming');
      expect([...contents.keys()].sort()).toEqual(names);
      expect(names.filter((n) => contents.get(n) !== bed!.manifest.get(n))).toEqual([]);
      expect(await bed.queueStats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    }, 240_000);
  });
}
