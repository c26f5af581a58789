import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/model/errors.js';
import { parsePostgresUrl } from '../../src/ledger/postgres/url.js';
import { openLedger } from '../../src/ledger/url.js';
import { plan } from '../conformance/ledger.js';

describe('openLedger', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-ledger-url-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens <stateDir>/ledger.db when no URL or a bare sqlite: is given', async () => {
    for (const url of [undefined, '', 'sqlite:']) {
      const store = await openLedger(url, { stateDir: dir });
      await store.ledger.claim(plan(1), 'a', 1_000);
      await store.close();
      expect((await stat(path.join(dir, 'ledger.db'))).isFile()).toBe(true);
    }
    const again = await openLedger(undefined, { stateDir: dir });
    expect((await again.reports.get(plan(1).id))?.id).toBe(plan(1).id);
    await again.close();
  });

  it('opens sqlite:PATH, absolute or sqlite:///absolute', async () => {
    for (const [url, file] of [
      [`sqlite:${dir}/a/one.db`, 'a/one.db'],
      [`sqlite://${dir}/b/two.db`, 'b/two.db'],
    ] as const) {
      const store = await openLedger(url, { stateDir: '/nonexistent' });
      await store.close();
      expect((await stat(path.join(dir, file))).isFile()).toBe(true);
    }
  });

  it('opens memory: in this process, writing no file', async () => {
    const store = await openLedger('memory:', { stateDir: dir });
    await store.ledger.claim(plan(1), 'a', 1_000);
    expect((await store.reports.get(plan(1).id))?.id).toBe(plan(1).id);
    await store.close();
    const fresh = await openLedger('memory:', { stateDir: dir });
    expect(await fresh.reports.get(plan(1).id)).toBeUndefined();
    await fresh.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an unknown scheme, naming the URL without its password', async () => {
    await expect(openLedger('mysql://u:secret@db/x', { stateDir: dir })).rejects.toThrow(ConfigInvalidError);
    await expect(openLedger('mysql://u:secret@db/x', { stateDir: dir })).rejects.toThrow(
      /mysql:\/\/u:\*\*\*@db\/x/,
    );
    await expect(openLedger('ledger.db', { stateDir: dir })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
    });
  });
});

describe('parsePostgresUrl', () => {
  it('splits ?schema= off and keeps the rest of the URL', () => {
    expect(parsePostgresUrl('postgres://u:p%40ss@h:5433/db?schema=tenant_1&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:p%40ss@h:5433/db?sslmode=disable',
      schema: 'tenant_1',
    });
    expect(parsePostgresUrl('postgresql://h/db').schema).toBeUndefined();
    expect(parsePostgresUrl('postgresql://h/db?schema=a', 'b').schema).toBe('b');
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => parsePostgresUrl('postgres://h/db?schema=a;drop')).toThrow(ConfigInvalidError);
    expect(() => parsePostgresUrl('postgres://h/db?schema="x"')).toThrow(/invalid schema name/);
    expect(() => parsePostgresUrl('http://h/db')).toThrow(/postgres:\/\//);
  });
});
