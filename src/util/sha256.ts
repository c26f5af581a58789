import { crypto } from './builtins.js';

/** Hex SHA-256 of a text (UTF-8): one-shot `crypto.hash` where Node has it (20.12+, 21.7+), no Hash object per call. */
export function sha256Hex(text: string): string {
  const c = crypto();
  return typeof c.hash === 'function'
    ? c.hash('sha256', text, 'hex')
    : c.createHash('sha256').update(text, 'utf8').digest('hex');
}
