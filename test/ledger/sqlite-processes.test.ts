// SQLite only: several OS processes claiming on one ledger file. The shared
// conformance suite races handles inside one process; this proves the
// `BEGIN IMMEDIATE` claims hold across processes, which only a file-backed
// ledger can be asked to do here (PostgreSQL races its own pool connections).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite/ledger.js';
import { compileForChildren, runChild } from './child-process.js';

const CLAIMER = `
const { openSqliteLedger } = require('./src/ledger/sqlite/ledger.js');
const [path, owner, count, startAt] = process.argv.slice(2);
const plan = (i) => ({
  id: 'd-' + i, source: { project: 'p', bucket: 'in', key: 'f-' + i }, generation: 'g1', routeId: 'r1',
  destination: { project: 'q', bucket: 'out', key: 'f-' + i }, action: 'move', size: i,
});
(async () => {
  const { ledger, close } = await openSqliteLedger(path);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const order = Array.from({ length: Number(count) }, (_, i) => i).sort(() => Math.random() - 0.5);
  const won = [];
  for (let i = 0; i < order.length; i += 10) {
    const batch = order.slice(i, i + 10).map(plan);
    const results = i % 20 ? await ledger.claimMany(batch, owner, 60000) : await Promise.all(batch.map((p) => ledger.claim(p, owner, 60000)));
    for (const r of results) if (r.status === 'claimed') won.push(r.record.id);
  }
  await close();
  process.stdout.write(JSON.stringify(won));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('SQLite ledger shared by several processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-ledger-procs-'));
    await compileForChildren(['src/ledger/sqlite/ledger.ts'], join(dir, 'build'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('4 processes racing on 400 deliveries: each claimed exactly once', async () => {
    const path = join(dir, 'ledger.db');
    await (await openSqliteLedger(path)).close();
    const owners = ['w1', 'w2', 'w3', 'w4'];
    const startAt = String(Date.now() + 2_000);
    const won = await Promise.all(
      owners.map((o) => runChild<string[]>(join(dir, 'build'), CLAIMER, [path, o, '400', startAt])),
    );
    const all = won.flat();
    expect(all).toHaveLength(400);
    expect(new Set(all).size).toBe(400);
    const store = await openSqliteLedger(path);
    try {
      for (const [i, ids] of won.entries()) {
        for (const id of ids.slice(0, 20)) expect((await store.ledger.get(id))?.claimedBy).toBe(owners[i]);
      }
      expect((await store.reports.counts()).byState.planned).toBe(400);
    } finally {
      await store.close();
    }
  });
});
