import { checkLocalRoots } from '../../config/local-roots.js';
import { loadConfig, type CommonFlags, type RuntimeConfig } from '../../config/load.js';

export type Env = Record<string, string | undefined>;

/**
 * The configuration of a cloud entry point. Only declared projects are
 * used, even when switchyard.yaml declares none: a function's disk is
 * ephemeral, so a project taken for a local folder (a misspelt name, a
 * forgotten declaration) would receive moved files and lose them with the
 * instance. A local folder is declared as `NAME: { backend: fs }` (under
 * SWITCHYARD_DATA) and its folder must exist. The ledger defaults to
 * CLOUD_DEFAULT_LEDGER.
 */
export async function cloudConfig(flags: CommonFlags, env: Env, cwd: string): Promise<RuntimeConfig> {
  const config = await loadConfig(flags, env, cwd, {
    declaredOnly: true,
    defaultLedger: CLOUD_DEFAULT_LEDGER,
  });
  checkLocalRoots(config);
  return config;
}

/**
 * With no ledger configured (SWITCHYARD_LEDGER, `ledger:` in the file) the
 * ledger is the instance's memory: it needs no native module, so a function's
 * package carries none built for the wrong Node, and an instance's SQLite file
 * in /tmp would die with it anyway. The destination stays the truth: on GCS
 * and S3 its provenance metadata makes a repeated notification a duplicate on
 * any instance.
 */
export const CLOUD_DEFAULT_LEDGER = 'memory:';

