import type { SqliteMigration } from '../../util/sqlite.js';
import type { DeliveryRecord } from '../types.js';

/**
 * The SQLite ledger's rollup of done deliveries: per UTC hour
 * (`delivery_hours`) and per UTC day (`delivery_days`) of `updated_at`, route,
 * and source bucket → destination bucket, the files and bytes that reached
 * `done` then. A done delivery never changes again (terminal), so triggers
 * that add each one once keep both exact. `counts`, `routeStats` and `flows`
 * read a window as: its first partial hour from the deliveries themselves,
 * whole hours up to the first day boundary from `delivery_hours`, whole days
 * from `delivery_days`; a few thousand rows whatever the ledger holds. The
 * other states, few, are read from the state index, which now carries the
 * route so that counting them per route needs no table lookup.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const GRAINS = [
  { table: 'delivery_hours', column: 'hour', ms: HOUR_MS },
  { table: 'delivery_days', column: 'day', ms: DAY_MS },
] as const;
const KEY = 'route_id, source_project, source_bucket, dest_project, dest_bucket';

function table(grain: (typeof GRAINS)[number]): string {
  return `CREATE TABLE ${grain.table} (
        ${grain.column} INTEGER NOT NULL,
        route_id TEXT NOT NULL,
        source_project TEXT NOT NULL,
        source_bucket TEXT NOT NULL,
        dest_project TEXT NOT NULL,
        dest_bucket TEXT NOT NULL,
        files INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (${grain.column}, ${KEY})
      ) WITHOUT ROWID;
      INSERT INTO ${grain.table}
        SELECT updated_at / ${grain.ms}, ${KEY}, count(*), sum(size), max(updated_at)
        FROM deliveries WHERE state = 'done'
        GROUP BY 1, 2, 3, 4, 5, 6;`;
}

function add(grain: (typeof GRAINS)[number]): string {
  return `INSERT INTO ${grain.table} (${grain.column}, ${KEY}, files, bytes, last_at)
          VALUES (NEW.updated_at / ${grain.ms}, NEW.route_id, NEW.source_project, NEW.source_bucket, NEW.dest_project, NEW.dest_bucket,
            1, NEW.size, NEW.updated_at)
          ON CONFLICT (${grain.column}, ${KEY}) DO UPDATE SET
            files = files + 1, bytes = bytes + excluded.bytes, last_at = max(last_at, excluded.last_at);`;
}

function remove(grain: (typeof GRAINS)[number]): string {
  return `UPDATE ${grain.table} SET files = files - 1, bytes = bytes - OLD.size
          WHERE ${grain.column} = OLD.updated_at / ${grain.ms} AND route_id = OLD.route_id
            AND source_project = OLD.source_project AND source_bucket = OLD.source_bucket
            AND dest_project = OLD.dest_project AND dest_bucket = OLD.dest_bucket;`;
}

export const ROLLUP_MIGRATION: SqliteMigration = {
  version: 2,
  description: 'hourly and daily rollups of done deliveries (dashboard, counts, route stats, flows)',
  sql: `
      ${GRAINS.map(table).join('\n      ')}
      CREATE TRIGGER deliveries_done_insert AFTER INSERT ON deliveries WHEN NEW.state = 'done' BEGIN
        ${GRAINS.map(add).join('\n        ')}
      END;
      CREATE TRIGGER deliveries_done_update AFTER UPDATE OF state ON deliveries WHEN NEW.state = 'done' AND OLD.state <> 'done' BEGIN
        ${GRAINS.map(add).join('\n        ')}
      END;
      CREATE TRIGGER deliveries_done_delete AFTER DELETE ON deliveries WHEN OLD.state = 'done' BEGIN
        ${GRAINS.map(remove).join('\n        ')}
      END;
      DROP INDEX deliveries_state;
      CREATE INDEX deliveries_state ON deliveries (state, updated_at, id, route_id);
  `,
};

/**
 * A reopened delivery (Ledger.reopen: its destination lost the bytes) leaves
 * `done`: its earlier count comes off the rollups, and reaching `done` again
 * adds it anew, so the rollups keep counting the deliveries done now.
 */
export const REOPEN_MIGRATION: SqliteMigration = {
  version: 5,
  description: 'a done delivery that is reopened leaves the rollups',
  sql: `
      CREATE TRIGGER deliveries_done_reopen AFTER UPDATE OF state ON deliveries WHEN OLD.state = 'done' AND NEW.state <> 'done' BEGIN
        ${GRAINS.map(remove).join('\n        ')}
      END;
  `,
};

/** A window `[since, …)` cut into its first partial hour, whole hours, then whole days. */
export interface WindowParts {
  since: number;
  /** Rows of `deliveries` in [since, hourStart). */
  hourStart: number;
  /** `delivery_hours` in [hour, dayHour). */
  hour: number;
  dayHour: number;
  /** `delivery_days` from `day` on. */
  day: number;
}

export function windowParts(sinceMs: number | undefined): WindowParts {
  if (sinceMs === undefined) {
    const min = Number.MIN_SAFE_INTEGER;
    return { since: min, hourStart: min, hour: 0, dayHour: 0, day: min };
  }
  const hour = Math.ceil(sinceMs / HOUR_MS);
  const day = Math.ceil(sinceMs / DAY_MS);
  return { since: sinceMs, hourStart: hour * HOUR_MS, hour, dayHour: (day * DAY_MS) / HOUR_MS, day };
}

/** The SELECT list over rollup rows or over deliveries, grouped by `groupBy`. */
function rollupSql(select: string, groupBy: string): { partial: string; hours: string; days: string } {
  return {
    partial: `SELECT ${select}, count(*) AS files, total(size) AS bytes, max(updated_at) AS last_at
      FROM deliveries INDEXED BY deliveries_state WHERE state = 'done' AND updated_at >= ? AND updated_at < ?
      GROUP BY ${groupBy}`,
    hours: `SELECT ${select}, sum(files) AS files, sum(bytes) AS bytes, max(last_at) AS last_at
      FROM delivery_hours WHERE hour >= ? AND hour < ? GROUP BY ${groupBy}`,
    days: `SELECT ${select}, sum(files) AS files, sum(bytes) AS bytes, max(last_at) AS last_at
      FROM delivery_days WHERE day >= ? GROUP BY ${groupBy}`,
  };
}

export const ROUTE_ROLLUP = rollupSql('route_id', 'route_id');
export const FLOW_ROLLUP = rollupSql(
  'source_project, source_bucket, dest_project, dest_bucket',
  '1, 2, 3, 4',
);

/** Parameters of the three statements of a rollup read, in order partial, hours, days. */
export function rollupParams(parts: WindowParts): [unknown[], unknown[], unknown[]] {
  return [[parts.since, parts.hourStart], [parts.hour, parts.dayHour], [parts.day]];
}

export const COUNT_DONE = 'SELECT total(files) FROM delivery_days';

/** Adds a grain's counts for one (time unit, route, flow); parameters in column order. */
function addRows(grain: (typeof GRAINS)[number]): string {
  return `INSERT INTO ${grain.table} (${grain.column}, ${KEY}, files, bytes, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (${grain.column}, ${KEY}) DO UPDATE SET
      files = files + excluded.files, bytes = bytes + excluded.bytes, last_at = max(last_at, excluded.last_at)`;
}

/** A text as one part of a map key that no other sequence of texts makes (its length first). */
function lengthPrefixed(text: string): string {
  return `|${text.length}:${text}`;
}

/**
 * What the rollups gain from deliveries inserted `done` (no trigger sees an
 * insert): summed in memory per (grain, route, flow) first, so a group of
 * records costs one upsert per distinct key, not one per record.
 */
export function rollupInserts(done: readonly DeliveryRecord[]): { sql: string; params: unknown[] }[] {
  const statements: { sql: string; params: unknown[] }[] = [];
  // a record's route and flow, as a key part: the same for every grain, so made once
  const flows = done.map(
    ({ routeId, source, destination }) =>
      `${lengthPrefixed(routeId)}${lengthPrefixed(source.project)}${lengthPrefixed(source.bucket)}${lengthPrefixed(destination.project)}${lengthPrefixed(destination.bucket)}`,
  );
  for (const grain of GRAINS) {
    const sums = new Map<string, unknown[]>();
    for (const [i, r] of done.entries()) {
      const unit = Math.floor(r.updatedAt / grain.ms);
      const { routeId, source, destination } = r;
      const id = `${unit}${flows[i]}`;
      const sum = sums.get(id);
      if (sum) {
        (sum[6] as number) += 1;
        (sum[7] as number) += r.size;
        sum[8] = Math.max(sum[8] as number, r.updatedAt);
      } else
        sums.set(id, [
          unit,
          routeId,
          source.project,
          source.bucket,
          destination.project,
          destination.bucket,
          1,
          r.size,
          r.updatedAt,
        ]);
    }
    const sql = addRows(grain);
    for (const params of sums.values()) statements.push({ sql, params });
  }
  return statements;
}
