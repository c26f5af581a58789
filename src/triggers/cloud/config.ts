import { checkLocalRoots } from '../../config/local-roots.js';
import { loadConfig, type CommonFlags, type RuntimeConfig } from '../../config/load.js';

export type Env = Record<string, string | undefined>;

/**
 * The configuration of a cloud entry point. Only declared projects are
 * used, even when switchyard.yaml declares none: a function's disk is
 * ephemeral, so a project taken for a local folder (a misspelt name, a
 * forgotten declaration) would receive moved files and lose them with the
 * instance. A local folder is declared as `NAME: { backend: fs }` (under
 * SWITCHYARD_DATA) and its folder must exist.
 */
export async function cloudConfig(flags: CommonFlags, env: Env, cwd: string): Promise<RuntimeConfig> {
  const config = await loadConfig(flags, env, cwd, { declaredOnly: true });
  checkLocalRoots(config);
  return config;
}
