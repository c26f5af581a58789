// PostgreSQL-only: what only a ledger shared by several processes over a network
// can show — two connection pools (two workers) racing on claims, concurrent
// schema migration, and a database server restarting under a running ledger.
// The shared behaviour every ledger keeps lives in test/conformance/ledger.ts.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/model/errors.js';
import { openPostgresLedger, PostgresLedgerStore } from '../../src/ledger/postgres/ledger.js';
import { parsePostgresUrl } from '../../src/ledger/postgres/url.js';
import { openLedger } from '../../src/ledger/url.js';
import type { ClaimResult, DeliveryPlan } from '../../src/ledger/types.js';
import {
  connectTestPostgres,
  privatePostgresUnavailable,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../helpers/postgres.js';

const shared = await connectTestPostgres();

function plan(n: number): DeliveryPlan {
  return {
    id: `plan-${String(n).padStart(3, '0')}`,
    source: { project: 'p', bucket: 'in', key: `file-${n}.csv` },
    generation: '1',
    routeId: 'r1',
    destination: { project: 'p', bucket: 'out', key: `dir/file-${n}.csv` },
    action: 'move',
    size: 10 + n,
  };
}

describe.skipIf(!shared)('PostgresLedger shared by several workers', () => {
  const opened: PostgresLedgerStore[] = [];
  const open = async (url: string): Promise<PostgresLedgerStore> => {
    const store = await openPostgresLedger(url, { poolSize: 4 });
    opened.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(opened.map((l) => l.close()));
    await shared?.cleanup();
  });

  it('two pools racing 200 claims over 50 plans claim each plan exactly once', async () => {
    const url = shared!.newUrl();
    const { ledger: a } = await open(url);
    const { ledger: b } = await open(url);
    const plans = Array.from({ length: 50 }, (_, i) => plan(i));
    const calls = Array.from({ length: 200 }, (_, i) => ({
      ledger: i % 2 ? b : a,
      owner: `worker-${i}`,
      plan: plans[i % 50]!,
    }));
    const results = await Promise.all(calls.map((c) => c.ledger.claim(c.plan, c.owner, 60_000)));
    const winners = new Map<string, string[]>();
    results.forEach((result, i) => {
      if (result.status === 'claimed')
        winners.set(result.record.id, [...(winners.get(result.record.id) ?? []), calls[i]!.owner]);
      else expect(result.status).toBe('busy');
    });
    expect(winners.size).toBe(50);
    for (const owners of winners.values()) expect(owners).toHaveLength(1);
    for (const p of plans) expect((await a.get(p.id))?.claimedBy).toBe(winners.get(p.id)?.[0]);
  });

  it('two pools racing claimMany over the same batch split it without overlap', async () => {
    const url = shared!.newUrl();
    const { ledger: a } = await open(url);
    const { ledger: b } = await open(url);
    const plans = Array.from({ length: 50 }, (_, i) => plan(i));
    const [fromA, fromB] = await Promise.all([
      a.claimMany(plans, 'worker-a', 60_000),
      b.claimMany([...plans].reverse(), 'worker-b', 60_000),
    ]);
    const claimed = (results: ClaimResult[]): string[] =>
      results.filter((r) => r.status === 'claimed').map((r) => r.record.id);
    const ids = [...claimed(fromA), ...claimed(fromB)].sort();
    expect(ids).toEqual(plans.map((p) => p.id).sort());
    for (const r of [...fromA, ...fromB]) expect(['claimed', 'busy']).toContain(r.status);
  });

  it('search takes LIKE wildcards literally and folds ASCII case only', async () => {
    const { ledger, reports } = await open(shared!.newUrl());
    const keys = ['a%b.csv', 'a_b.csv', 'axb.csv', 'A\\B.csv', 'ÉTÉ.csv'];
    await ledger.claimMany(
      keys.map((key, i) => ({ ...plan(i), source: { project: 'p', bucket: 'in', key } })),
      'w',
      60_000,
    );
    const search = async (text: string): Promise<string[]> =>
      (await reports.query({ search: text })).items.map((r) => r.source.key).sort();
    expect(await search('a%b')).toEqual(['a%b.csv']);
    expect(await search('a_b')).toEqual(['a_b.csv']);
    expect(await search('a\\b')).toEqual(['A\\B.csv']);
    expect(await search('ÉTÉ')).toEqual(['ÉTÉ.csv']);
    expect(await search('été')).toEqual([]);
  });

  it('openLedger loads the PostgreSQL ledger for a postgres:// URL', async () => {
    const store = await openLedger(shared!.newUrl(), { stateDir: '/nonexistent' });
    try {
      expect(store).toBeInstanceOf(PostgresLedgerStore);
      expect((await store.ledger.claim(plan(1), 'w', 1_000)).status).toBe('claimed');
    } finally {
      await store.close();
    }
  });

  it('a version-1 ledger (the release before unrouted reasons) is migrated in place, its rows kept', async () => {
    const url = shared!.newUrl();
    const { connectionString, schema } = parsePostgresUrl(url);
    await (await open(url)).close();
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(`ALTER TABLE "${schema}".unrouted DROP COLUMN reason`);
      await client.query(`DROP TABLE "${schema}".waiting_groups`);
      await client.query(`DELETE FROM "${schema}".switchyard_schema_version WHERE version IN (2, 3)`);
      await client.query(
        `INSERT INTO "${schema}".unrouted (project, bucket, key, generation, size, first_seen_at, last_seen_at)
         VALUES ('p', 'in', 'old.bin', 'g', 1, 1000, 1000)`,
      );
    } finally {
      await client.end();
    }
    const migrated = await open(url);
    expect(migrated.migrationsApplied).toEqual([2, 3]);
    expect(await migrated.reports.listWaiting(10)).toEqual([]);
    expect(await migrated.reports.listUnrouted(10)).toEqual([
      {
        source: { project: 'p', bucket: 'in', key: 'old.bin' },
        generation: 'g',
        size: 1,
        firstSeenAt: 1000,
        lastSeenAt: 1000,
      },
    ]);
    await migrated.ledger.recordUnrouted(
      { project: 'p', bucket: 'in', key: 'bad\\xFF' },
      'g',
      1,
      2000,
      'E_KEY_ENCODING',
    );
    expect((await migrated.reports.listUnrouted(1))[0]?.reason).toBe('E_KEY_ENCODING');
  });

  it('five instances opening a fresh schema together migrate it once', async () => {
    const url = shared!.newUrl();
    const stores = await Promise.all(Array.from({ length: 5 }, () => open(url)));
    const applied = stores.map((s) => s.migrationsApplied);
    expect(applied.filter((v) => v.length > 0)).toEqual([[1, 2, 3]]);
    const { connectionString, schema } = parsePostgresUrl(url);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      const rows = await client.query(`SELECT component, version FROM "${schema}".switchyard_schema_version`);
      expect(rows.rows).toEqual([
        { component: 'ledger', version: 1 },
        { component: 'ledger', version: 2 },
        { component: 'ledger', version: 3 },
      ]);
    } finally {
      await client.end();
    }
    const reopened = await open(url);
    expect(reopened.migrationsApplied).toEqual([]);
  });
});

const cannotStart = await privatePostgresUnavailable();

describe.skipIf(cannotStart)('PostgresLedger on a PostgreSQL that restarts', () => {
  let server: PrivatePostgres;
  const opened: PostgresLedgerStore[] = [];
  beforeAll(async () => {
    server = await startPrivatePostgres();
  });
  afterAll(async () => {
    await Promise.all(opened.map((l) => l.close()));
    await server?.stop();
  });

  const selectOne = async (): Promise<number> => {
    const client = new pg.Client(server.url);
    await client.connect();
    try {
      return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one;
    } finally {
      await client.end();
    }
  };

  it('the private server answers, restarts, and answers again', async () => {
    expect(await selectOne()).toBe(1);
    await server.restart();
    expect(await selectOne()).toBe(1);
  });

  it('fails transiently while the server is down, then works again without reopening', async () => {
    const url = `${server.url}?schema=restart_test`;
    const patientStore = await openPostgresLedger(url, {
      poolSize: 2,
      retry: { budgetMs: 60_000, initialDelayMs: 50, maxDelayMs: 200 },
    });
    const impatientStore = await openPostgresLedger(url, {
      poolSize: 2,
      retry: { budgetMs: 300, initialDelayMs: 50, maxDelayMs: 100 },
    });
    opened.push(patientStore, impatientStore);
    const [patient, impatient] = [patientStore.ledger, impatientStore.ledger];
    expect((await patient.claim(plan(1), 'worker-1', 60_000)).status).toBe('claimed');
    expect(await impatient.get(plan(1).id)).toBeDefined();

    await server.shutdown();
    const failure = await impatient.get(plan(1).id).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).toMatchObject({ code: 'E_BACKEND', transient: true });
    expect((failure as Error).cause).toBeDefined();

    const during = patient.claim(plan(1), 'worker-1', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();
    expect((await during).status).toBe('claimed');

    expect(await patient.transition(plan(1).id, 'worker-1', 'written', { crc32c: 'AAAAAA==' })).toBe(true);
    expect((await impatient.get(plan(1).id))?.state).toBe('written');
  });
});
