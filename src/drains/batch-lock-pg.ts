import pg from 'pg';
import { parsePostgresUrl } from '../ledger/postgres/url.js';
import type { LockAttempt, LockOptions } from './batch-lock.js';
import { HeldLock } from './batch-lock-held.js';

/** First key of every switchyard advisory lock (`pg_try_advisory_lock(int, int)`); the second is hashtext(name). */
const LOCK_CLASS = 0x5359;
const APP_PREFIX = 'switchyard-drain ';

/**
 * The drain lock on a PostgreSQL ledger: `pg_try_advisory_lock` on a
 * connection of its own, held as long as that connection lives (a killed
 * drain's lock ends with its connection). The holder is found through
 * `pg_locks` + `pg_stat_activity`: its `application_name` names the owner.
 */
export async function acquirePostgresLock(
  options: LockOptions & { ledgerUrl: string },
): Promise<LockAttempt> {
  const { connectionString } = parsePostgresUrl(options.ledgerUrl);
  const applicationName = `${APP_PREFIX}${options.owner}`.slice(0, 63);
  const client = new pg.Client({ connectionString, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const taken = await client.query<{ ok: boolean; now: Date }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok, now() AS now',
      [LOCK_CLASS, options.name],
    );
    const first = taken.rows[0];
    if (first?.ok) return { acquired: true, lock: new PostgresLock(client, options, first.now.getTime()) };
    const holder = await client.query<{ application_name: string; since: Date | null }>(
      `SELECT a.application_name, coalesce(a.backend_start, now()) AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid
          AND l.objid = (hashtext($2)::bigint & 4294967295)::oid AND l.objsubid = 2
        LIMIT 1`,
      [LOCK_CLASS, options.name],
    );
    await client.end();
    const row = holder.rows[0];
    const owner = row?.application_name.startsWith(APP_PREFIX)
      ? row.application_name.slice(APP_PREFIX.length)
      : (row?.application_name ?? 'unknown');
    return {
      acquired: false,
      holder: { owner: owner || 'unknown', since: row?.since?.getTime() ?? Date.now() },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

class PostgresLock extends HeldLock {
  constructor(
    private readonly client: pg.Client,
    options: LockOptions,
    since: number,
  ) {
    super(options, since, options.heartbeatMs ?? 5_000);
    client.on('error', () => this.markLost());
    client.on('end', () => this.markLost());
  }

  protected beat(): void {
    this.client.query('SELECT 1').catch(() => this.markLost());
  }

  protected async letGo(): Promise<void> {
    await this.client
      .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, this.name])
      .catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
