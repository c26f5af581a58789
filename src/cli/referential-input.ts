import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RuntimeConfig } from '../config/load.js';
import { ReferentialInvalidError, SwitchyardError, type Problem } from '../model/errors.js';
import { referentialAccess, referentialChecks } from '../referential/config-checks.js';
import { loadReferentialText, validateRows } from '../referential/index.js';
import { referentialOf } from '../referential/referential.js';
import { isRemoteLocation, readReferentialRowsAt } from '../referential/readers.js';
import type { RawRow, Referential, Route } from '../referential/types.js';
import type { ObjectStore } from '../storage/types.js';

/** A referential named on the command line, read and validated as `--routes` would be. */
export type ReferentialInput =
  | { ok: true; source: string; rows: RawRow[]; routes: Route[]; referential: Referential }
  | { ok: false; source: string; problems: Problem[] };

/**
 * Reads `location` — a local file (.csv, .yaml/.yml, .json, relative to
 * `cwd`), a `gs://` / `s3://` URI read through the store of the config's
 * `routesProject`, or a `bq://PROJECT.DATASET.TABLE` table — and validates
 * it under `config` (declared projects, local bucket identity). A file that is absent, unreadable as a
 * referential, or with errors gives its problems (FILE:LINE: column), never
 * a throw; a configuration that cannot reach a URI (no `routesProject`,
 * a malformed URI) throws its ConfigInvalidError, a denied or failed read
 * its backend error.
 */
export async function readReferentialInput(
  location: string,
  config: RuntimeConfig,
  cwd: string,
  storeFor: (project: string) => Promise<ObjectStore>,
): Promise<ReferentialInput> {
  const remote = isRemoteLocation(location);
  const source = remote ? location : path.resolve(cwd, location);
  try {
    const rows = remote
      ? await readReferentialRowsAt(source, referentialAccess(config, storeFor))
      : loadReferentialText(await readLocal(source), source);
    const { routes, problems } = validateRows(rows, { source, ...referentialChecks(config) });
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) return { ok: false, source, problems: errors };
    return { ok: true, source, rows, routes, referential: referentialOf(routes, source) };
  } catch (error) {
    if (error instanceof ReferentialInvalidError) return { ok: false, source, problems: error.problems };
    if (error instanceof SwitchyardError && AS_PROBLEM.has(error.code))
      return { ok: false, source, problems: [atStart(source, error.message)] };
    throw error;
  }
}

/** Errors that say the referential is absent or unreadable as one (anything else, a network failure, is thrown). */
const AS_PROBLEM = new Set(['E_NOT_FOUND', 'E_REFERENTIAL_MISSING', 'E_REFERENTIAL_INVALID']);

async function readLocal(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ReferentialInvalidError(file, [
        atStart(file, 'not found: expected a referential file (.csv, .yaml, .yml or .json) at this path'),
      ]);
    if (code === 'EISDIR')
      throw new ReferentialInvalidError(file, [
        atStart(file, 'expected a referential file (.csv, .yaml, .yml or .json), got a folder'),
      ]);
    throw error;
  }
}

function atStart(file: string, message: string): Problem {
  return { file, line: 1, column: '', message, severity: 'error' };
}
