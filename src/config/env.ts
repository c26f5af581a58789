import { ConfigInvalidError } from '../model/errors.js';
import { DURATION_EXAMPLES, parseDuration } from './duration.js';
import type { CommonFlags } from './load.js';

export type Env = Record<string, string | undefined>;

/** Every environment variable switchyard reads for its configuration starts with this. */
export const ENV_PREFIX = 'SWITCHYARD_';

/** The environment variable of a configuration flag: `--routes-poll` → `SWITCHYARD_ROUTES_POLL`. */
export function envVarOf(flag: string): string {
  return ENV_PREFIX + flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase();
}

/** A variable's value; undefined when it is unset or empty (an empty variable is no setting). */
export function envText(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A positive integer variable; an error naming the variable when it is something else. */
export function envPositiveInt(env: Env, name: string): number | undefined {
  const text = envText(env, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigInvalidError(name, `expected a positive integer, got ${JSON.stringify(text)}`, {
      env: name,
    });
  return n;
}

/** A duration variable (`30s`, `5m`, `2h`, `7d`, or milliseconds), in milliseconds. */
export function envDuration(env: Env, name: string): number | undefined {
  const text = envText(env, name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new ConfigInvalidError(name, `expected ${DURATION_EXAMPLES}, got ${JSON.stringify(text)}`, {
      env: name,
    });
  return ms;
}

/**
 * The flags every command shares, from their variables (`SWITCHYARD_ROUTES`,
 * `SWITCHYARD_CONFIG`, `SWITCHYARD_DATA`, `SWITCHYARD_STATE`,
 * `SWITCHYARD_LEDGER`, `SWITCHYARD_QUEUE`, `SWITCHYARD_CONCURRENCY`,
 * `SWITCHYARD_ROUTES_POLL`): how the cloud entry points, which have no
 * command line, are configured. The CLI reads the same names (src/cli/env-options.ts).
 */
export function commonFlagsFromEnv(env: Env): CommonFlags {
  const flags: CommonFlags = {};
  const text = (key: 'routes' | 'config' | 'data' | 'state' | 'ledger' | 'queue') => {
    const value = envText(env, envVarOf(`--${key}`));
    if (value !== undefined) flags[key] = value;
  };
  for (const key of ['routes', 'config', 'data', 'state', 'ledger', 'queue'] as const) text(key);
  const concurrency = envPositiveInt(env, envVarOf('--concurrency'));
  if (concurrency !== undefined) flags.concurrency = concurrency;
  const routesPoll = envDuration(env, envVarOf('--routes-poll'));
  if (routesPoll !== undefined) flags.routesPoll = routesPoll;
  return flags;
}
