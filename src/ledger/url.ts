import path from 'node:path';
import { ConfigInvalidError } from '../model/errors.js';
import type { Logger } from '../util/log.js';
import { redactUrl } from './postgres/url.js';
import type { LedgerStore } from './types.js';

export interface OpenLedgerOptions {
  /** Where the default SQLite ledger lives (`<stateDir>/ledger.db`). */
  stateDir: string;
  logger?: Logger;
}

/**
 * Opens the ledger a URL names:
 * - undefined or `sqlite:` → `<stateDir>/ledger.db`; `sqlite:PATH` → that file
 *   (relative paths resolve against the working directory);
 * - `postgres://…` / `postgresql://…` → the shared PostgreSQL ledger
 *   (`?schema=NAME` selects a schema); `pg` loads only then;
 * - `memory:` → a ledger in this process's memory, gone with it (the cloud
 *   entry points' default: no native module, and the destination's provenance
 *   metadata keeps deliveries idempotent across instances).
 * `better-sqlite3` (a native module) loads only for a `sqlite:` ledger.
 * Any other scheme is refused with ConfigInvalidError naming the URL.
 */
export async function openLedger(url: string | undefined, options: OpenLedgerOptions): Promise<LedgerStore> {
  const target = url?.trim() || 'sqlite:';
  if (target.startsWith('sqlite:')) {
    const file = target.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    const { openSqliteLedger } = await import('./sqlite/ledger.js');
    return openSqliteLedger(file ? path.resolve(file) : path.join(options.stateDir, 'ledger.db'));
  }
  if (target === 'memory:') {
    const { createMemoryLedger } = await import('./memory/ledger.js');
    return createMemoryLedger();
  }
  if (/^postgres(ql)?:\/\//i.test(target)) {
    const { openPostgresLedger } = await import('./postgres/ledger.js');
    return openPostgresLedger(target, options.logger ? { logger: options.logger } : {});
  }
  throw new ConfigInvalidError(
    'ledger',
    `unknown ledger URL ${JSON.stringify(redactUrl(target))}: expected sqlite:PATH, postgres://… or memory:`,
    {
      url: redactUrl(target),
    },
  );
}
