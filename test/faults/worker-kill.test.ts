// Three worker processes share a NATS JetStream queue and a PostgreSQL ledger
// while a random one is SIGKILLed and restarted ten times: nothing is lost,
// nothing is delivered twice. Needs the machine's NATS and PostgreSQL
// (NATS_HOST, SWITCHYARD_TEST_PG); under CI=true their absence fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { connectTestNats } from '../helpers/nats-server.js';
import { connectTestPostgres } from '../helpers/postgres.js';
import { FAN_OUT_ROUTES, FaultBed, ledgerStates } from './bed.js';
import { expectAllDelivered, isCopied } from './verify.js';

const FILES = 20_000;
const WORKERS = 3;
const KILLS = 10;

const postgres = await connectTestPostgres();
const nats = await connectTestNats();

if (postgres && nats) {
  describe('workers killed mid-run', () => {
    let bed: FaultBed | undefined;
    beforeAll(() => ensureBuilt());
    afterAll(async () => {
      await bed?.remove();
      await nats.cleanup();
      await postgres.cleanup();
    });

    it(`route ${FILES} files exactly once while a random worker is SIGKILLed and restarted ${KILLS} times`, async () => {
      bed = await FaultBed.create({
        queueUrl: nats.newQueueUrl(),
        ledgerUrl: postgres.url,
        routes: FAN_OUT_ROUTES,
        workerArgs: ['--concurrency', '32', '--temp-max-age', '5s', '--progress-every', '5s'],
      });
      const started = Date.now();
      const names = await bed.land(FILES);
      await bed.publish(names);
      const published = Date.now();
      for (let i = 0; i < WORKERS; i++) bed.spawnWorker(i);

      const step = Math.floor((FILES * 0.9) / KILLS);
      let kills = 0;
      await bed.until(
        async () => {
          const done = await bed!.count('warehouse/landed');
          if (kills < KILLS && done >= (kills + 1) * step) {
            const victim = Math.floor(Math.random() * WORKERS);
            await bed!.kill(victim);
            bed!.spawnWorker(victim);
            kills++;
          }
          return kills === KILLS && done === FILES;
        },
        240_000,
        async () => `${kills} kills, ${await bed!.count('warehouse/landed')} of ${FILES} landed`,
      );
      const expected = FILES + names.filter(isCopied).length;
      await bed.until(
        async () =>
          (await ledgerStates(bed!.ledgerUrl)).done === expected &&
          (await bed!.count('land/in')) === 0 &&
          (await bed!.tempFiles()).length === 0,
        30_000,
        async () =>
          `ledger ${JSON.stringify(await ledgerStates(bed!.ledgerUrl))}, temp files ${(await bed!.tempFiles()).length}`,
      );
      const routed = Date.now();
      expect(await bed.stopAll()).toEqual(Array.from({ length: WORKERS }, () => 0));
      expect(kills).toBe(KILLS);
      await expectAllDelivered(bed, names);
      console.info(
        `[faults] ${FILES} files: landed and queued in ${((published - started) / 1000).toFixed(1)} s, ` +
          `routed by ${WORKERS} workers (${KILLS} kills) in ${((routed - published) / 1000).toFixed(1)} s, ` +
          `checked in ${((Date.now() - routed) / 1000).toFixed(1)} s`,
      );
    }, 360_000);
  });
}
