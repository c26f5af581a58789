// Workers survive their backends restarting: PostgreSQL (fast shutdown, so
// every connection drops) and NATS (JetStream file store, same port) are each
// restarted mid-run; the workers wait, reconnect and finish, delivering every
// file once. The servers are private (started here on free ports), never the
// machine's shared ones. Needs initdb/pg_ctl and nats-server; under CI=true
// their absence fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { privateNatsAvailable, startPrivateNats, type PrivateNats } from '../helpers/nats-server.js';
import {
  privatePostgresUnavailable,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../helpers/postgres.js';
import { uniqueName } from '../helpers/services.js';
import { FAN_OUT_ROUTES, FaultBed, ledgerStates, sleep } from './bed.js';
import { expectAllDelivered, isCopied } from './verify.js';

const FILES = 3_000;
const WORKERS = 2;

const canPostgres = (await privatePostgresUnavailable()) === undefined;
const canNats = privateNatsAvailable();

if (canPostgres && canNats) {
  describe('backends restarted under running workers', () => {
    let postgres: PrivatePostgres | undefined;
    let nats: PrivateNats | undefined;
    const beds: FaultBed[] = [];
    beforeAll(async () => {
      ensureBuilt();
      [postgres, nats] = await Promise.all([startPrivatePostgres(), startPrivateNats()]);
    });
    afterAll(async () => {
      for (const bed of beds) await bed.remove();
      await Promise.all([postgres?.stop(), nats?.stop()]);
    });

    /** Lands and queues the files, starts the workers, runs `disrupt` once a third is routed, then waits for all. */
    async function routeThrough(disrupt: () => Promise<void>): Promise<FaultBed> {
      const bed = await FaultBed.create({
        queueUrl: `${nats!.url}/${uniqueName('SYR')}`,
        ledgerUrl: `${postgres!.url}?schema=${uniqueName('sy_restart').toLowerCase()}`,
        routes: FAN_OUT_ROUTES,
        workerArgs: ['--concurrency', '16', '--temp-max-age', '5s', '--progress-every', '2s'],
      });
      beds.push(bed);
      const names = await bed.land(FILES);
      await bed.publish(names);
      for (let i = 0; i < WORKERS; i++) bed.spawnWorker(i);
      const landed = (): Promise<number> => bed.count('warehouse/landed');
      await bed.until(
        async () => (await landed()) >= FILES / 3,
        120_000,
        async () => `${await landed()} of ${FILES} landed`,
      );
      await disrupt();
      const atRestart = await landed();
      const expected = FILES + names.filter(isCopied).length;
      // Acks sent while the broker was down are lost: those messages come back
      // after ack_wait and are acked as duplicates, so wait for the queue too.
      await bed.until(
        async () =>
          (await ledgerStates(bed.ledgerUrl)).done === expected &&
          (await bed.count('land/in')) === 0 &&
          (await bed.tempFiles()).length === 0 &&
          (await bed.queueStats()).inFlight === 0,
        150_000,
        async () =>
          `${await landed()} of ${FILES} landed, ledger ${JSON.stringify(await ledgerStates(bed.ledgerUrl))}, queue ${JSON.stringify(await bed.queueStats())}`,
      );
      expect(atRestart).toBeLessThan(FILES);
      expect(await bed.stopAll()).toEqual(Array.from({ length: WORKERS }, () => 0));
      await expectAllDelivered(bed, names);
      return bed;
    }

    it('PostgreSQL restarted mid-run: workers wait, reconnect and finish', async () => {
      await routeThrough(async () => {
        await postgres!.shutdown();
        await sleep(2_000);
        await postgres!.start();
      });
    }, 300_000);

    it('NATS restarted mid-run (JetStream state kept): workers reconnect and finish', async () => {
      const bed = await routeThrough(async () => {
        await nats!.shutdown();
        await sleep(2_000);
        await nats!.start();
      });
      expect(
        (await bed.grepLogs(/queue operation failed|queue connection open again/)).length,
      ).toBeGreaterThan(0);
    }, 300_000);
  });
}
