// The Cloud Scheduler–triggered drain (src/triggers/cloud/gcp-drain.ts) against Google's
// Pub/Sub emulator, fed real-shaped GCS notifications (JSON_API_V1); the
// buckets themselves are local folders, as a `gs://` bucket would be a GCS store.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createGcpDrain, environmentDrain } from '../../src/triggers/cloud/gcp-drain.js';
import { loadConfig } from '../../src/config/load.js';
import { errorMessage } from '../../src/model/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { drain } from '../../src/drains/batch.js';
import { openContext } from '../../src/runtime/context.js';
import { createPubsubClients } from '../../src/queue/pubsub/clients.js';
import { openQueue } from '../../src/queue/url.js';
import {
  createPubsubResources,
  startPubsubEmulator,
  type PubsubEmulator,
  type PubsubTestResources,
} from '../helpers/pubsub-emulator.js';
import { requireService } from '../helpers/services.js';
import { Workspace } from '../helpers/workspace.js';
import { HEADER, sleep } from './helpers.js';

const BUCKET = 'landing-eu';
const ROUTES = `${HEADER}
land,${BUCKET},^ok_,finance,raw,,move,fail,to-finance
land,${BUCKET},^bad_,broken,raw,incoming,move,fail,to-broken
`;

const started = await startPubsubEmulator().then(
  (emulator): PubsubEmulator | string => emulator,
  (error: unknown) => errorMessage(error),
);

interface Notification {
  data: Buffer;
  attributes: Record<string, string>;
}

/** What GCS publishes for an object (payload JSON_API_V1). */
function gcsNotification(
  name: string,
  generation: string,
  size: number,
  eventType = 'OBJECT_FINALIZE',
): Notification {
  const time = new Date().toISOString();
  const resource = {
    kind: 'storage#object',
    id: `${BUCKET}/${name}/${generation}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}`,
    name,
    bucket: BUCKET,
    generation,
    metageneration: '1',
    contentType: 'text/csv',
    timeCreated: time,
    updated: time,
    storageClass: 'STANDARD',
    size: String(size),
    etag: 'CMDk8Pr5w4UDEAE=',
  };
  return {
    data: Buffer.from(JSON.stringify(resource)),
    attributes: {
      bucketId: BUCKET,
      eventTime: time,
      eventType,
      notificationConfig: `projects/_/buckets/${BUCKET}/notificationConfigs/1`,
      objectGeneration: generation,
      objectId: name,
      payloadFormat: 'JSON_API_V1',
    },
  };
}

if (
  requireService('Pub/Sub emulator', typeof started !== 'string', typeof started === 'string' ? started : '')
) {
  const emulator = started as PubsubEmulator;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => emulator.stop());

  const setup = async (): Promise<{
    ws: Workspace;
    resources: PubsubTestResources;
    land(name: string, body: string): Promise<Notification>;
    publish(n: Notification[]): Promise<void>;
  }> => {
    const ws = await Workspace.create(ROUTES);
    cleanups.push(() => ws.remove());
    const resources = await createPubsubResources(emulator.host);
    cleanups.push(() => resources.remove());
    const land = async (name: string, body: string): Promise<Notification> => {
      await ws.put(`land/${BUCKET}/${name}`, body);
      const { statSync } = await import('node:fs');
      const st = statSync(ws.file(`land/${BUCKET}/${name}`), { bigint: true });
      return gcsNotification(name, `${st.mtimeNs}-${st.size}-${st.ino}`, Number(st.size));
    };
    const publish = async (messages: Notification[]): Promise<void> => {
      const clients = createPubsubClients('switchyard-test', emulator.host);
      try {
        await clients.publisher.publish({ topic: resources.topic, messages });
      } finally {
        await clients.close();
      }
    };
    return { ws, resources, land, publish };
  };

  describe('Cloud Scheduler drain of a GCS notification subscription (Pub/Sub emulator)', () => {
    it('pulls in batches, acks only terminal messages, leaves failed ones for redelivery, dead-letters malformed ones', async () => {
      const { ws, resources, land, publish } = await setup();
      await ws.put('broken/raw/incoming', 'a file standing where the destination folder should be');
      const notifications: Notification[] = [];
      for (let i = 0; i < 7; i++) notifications.push(await land(`ok_${i}.csv`, `row ${i}\n`));
      notifications.push(await land('bad_1.csv', 'bad\n'));
      notifications.push({ ...gcsNotification('ok_0.csv', '1', 4), data: Buffer.from('{not json') });
      notifications.push(gcsNotification('old.csv', '7', 3, 'OBJECT_DELETE'));
      await publish(notifications);

      const config = await loadConfig({ queue: resources.url }, {}, ws.dir);
      const gcp = createGcpDrain({
        config,
        logger: silentLogger(),
        drain: { maxBatch: 3, baseDelayMs: 5_000, pullWaitMs: 1_500 },
      });
      cleanups.push(() => gcp.close());
      const first = await gcp.run();
      if (first.skipped) throw new Error('skipped');
      expect(first.report).toMatchObject({
        routed: 7,
        messages: 10,
        acked: 8,
        ignored: 1,
        nacked: 1,
        deadLettered: 1,
        malformed: 1,
      });
      expect(first.report.batches).toBeGreaterThanOrEqual(4);
      expect(await ws.files()).toEqual([
        'broken/raw/incoming',
        ...Array.from({ length: 7 }, (_, i) => `finance/raw/ok_${i}.csv`),
        `land/${BUCKET}/bad_1.csv`,
      ]);

      const admin = await openQueue(resources.url, { stateDir: ws.dir });
      cleanups.push(() => admin.close());
      const dead = await admin.listDeadLetters(10);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.reason).toMatch(/^E_MESSAGE_UNREADABLE: .*not JSON/);

      // the failed message is redelivered (nack delay 2.5–5 s); once the destination is fixed it routes
      await rm(ws.file('broken/raw/incoming'));
      let routed = 0;
      for (let i = 0; i < 20 && routed === 0; i++) {
        await sleep(500);
        const next = await gcp.run();
        if (!next.skipped) routed += next.report.routed;
      }
      expect(routed).toBe(1);
      expect(await ws.exists(`broken/raw/incoming/bad_1.csv`)).toBe(true);
      expect(await ws.exists(`land/${BUCKET}/bad_1.csv`)).toBe(false);
      const last = await gcp.run();
      expect(last).toMatchObject({ skipped: false, report: { messages: 0, stoppedBy: 'empty' } });
    }, 60_000);

    it('handles an empty subscription', async () => {
      const { ws, resources } = await setup();
      const gcp = createGcpDrain({
        config: await loadConfig({ queue: resources.url }, {}, ws.dir),
        logger: silentLogger(),
        drain: { pullWaitMs: 1_000 },
      });
      cleanups.push(() => gcp.close());
      expect(await gcp.run()).toMatchObject({
        skipped: false,
        report: { messages: 0, batches: 0, routed: 0, stoppedBy: 'empty' },
      });
    });

    it('extends ack deadlines while a slow batch is worked on: nothing is redelivered meanwhile', async () => {
      const { ws, resources, land, publish } = await setup();
      await publish([await land('ok_slow.csv', 'slow\n')]);
      const ctx = await openContext(await loadConfig({ queue: resources.url }, {}, ws.dir), silentLogger());
      cleanups.push(() => ctx.close());
      const queue = await openQueue(resources.url, { stateDir: ws.dir });
      cleanups.push(() => queue.close());
      const store = await ctx.stores.storeFor('land');
      const stat = store.stat.bind(store);
      store.stat = async (bucket, key) => {
        await sleep(3_500);
        return stat(bucket, key);
      };
      const report = await drain(ctx, queue, { leaseMs: 1_000, pullWaitMs: 1_000, timeBudgetMs: 8_000 });
      expect(report).toMatchObject({ messages: 1, routed: 1, acked: 1 });
    }, 30_000);

    it('serves the HTTP function `switchyardDrain` configured from the environment', async () => {
      const { ws, resources, land, publish } = await setup();
      await publish([await land('ok_http.csv', 'http\n')]);
      // A function routes only between declared projects: here three local folders under SWITCHYARD_DATA.
      await writeFile(
        `${ws.dir}/switchyard.yaml`,
        'projects:\n  land: { backend: fs }\n  finance: { backend: fs }\n  broken: { backend: fs }\n',
      );
      Object.assign(process.env, {
        SWITCHYARD_CONFIG: `${ws.dir}/switchyard.yaml`,
        SWITCHYARD_QUEUE: resources.url,
        SWITCHYARD_ROUTES: `${ws.dir}/routes.csv`,
        SWITCHYARD_DATA: ws.data,
        SWITCHYARD_STATE: `${ws.dir}/.switchyard`,
        SWITCHYARD_TIME_BUDGET: '20s',
        SWITCHYARD_LOG_LEVEL: 'silent',
      });
      cleanups.push(() => environmentDrain.close());
      const server = getTestServer('switchyardDrain');
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ routed: 1, acked: 1, messages: 1 });
      expect(await ws.exists('finance/raw/ok_http.csv')).toBe(true);
    }, 30_000);
  });
}
