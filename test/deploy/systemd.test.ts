import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processIo } from '../../src/cli/common.js';
import { serveCommand } from '../../src/cli/serve.js';

const UNIT = fileURLToPath(new URL('../../deploy/systemd/switchyard.service', import.meta.url));
const text = readFileSync(UNIT, 'utf8');

/** `Key=value` settings of the unit, comments left out; a key given twice keeps every value. */
function settings(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) found.set(m[1] as string, [...(found.get(m[1] as string) ?? []), (m[2] as string).trim()]);
  }
  return found;
}

describe('deploy/systemd/switchyard.service', () => {
  const unit = settings(text);
  const one = (key: string): string => {
    const values = unit.get(key) ?? [];
    expect(values, `${key}= set once`).toHaveLength(1);
    return values[0] as string;
  };

  it('runs switchyard serve with options the serve command has', () => {
    const [binary, command, ...args] = one('ExecStart').split(/\s+/);
    expect(binary).toMatch(/^\/.*\/switchyard$/);
    expect(command).toBe('serve');
    const known = new Set(serveCommand(processIo(), () => undefined).options.map((o) => o.long));
    const flags = args.filter((a) => a.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.filter((f) => !known.has(f))).toEqual([]);
  });

  it('can write the data root and the state folder it passes, and nothing else', () => {
    const args = one('ExecStart').split(/\s+/);
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    const writable = one('ReadWritePaths').split(/\s+/);
    expect(writable).toEqual(expect.arrayContaining([value('--data'), value('--state')]));
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
  });

  it('runs as a dedicated user with its settings from an EnvironmentFile', () => {
    expect(one('User')).not.toBe('root');
    expect(one('EnvironmentFile')).toMatch(/^-?\//);
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
  });
});
