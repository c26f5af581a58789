import { crypto } from '../util/builtins.js';
import type { Manifest } from './manifest.js';

/**
 * A drain's or a complete group's id: `<kind>-<UTC time to the second>-<6 hex>`
 * (`drain-20261206T051500Z-a1b2c3`, `group-…`), unique and safe as a file
 * name: its manifests are `_MANIFEST-<id>.json`.
 */
export function newSignalId(kind: Manifest['kind'], now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${kind}-${stamp}-${crypto().randomBytes(3).toString('hex')}`;
}
