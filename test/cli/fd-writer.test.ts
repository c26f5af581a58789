// cli/fd-writer.ts: a command's standard output and error written straight to
// their descriptors. Every byte reaches a reader that keeps reading, even a
// slow one behind a full non-blocking pipe; a reader that leaves costs the
// rest of the output, never the run; any other failure is the writer's.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FdWriter } from '../../src/cli/fd-writer.js';
import { ensureBuilt } from '../helpers/build.js';

const WRITER = fileURLToPath(new URL('../../dist/cli/fd-writer.js', import.meta.url));

/** A child writing `lines` numbered lines of `width` bytes with FdWriter(1), stdout set non-blocking first when asked. */
function writer(lines: number, width: number, nonBlocking: boolean) {
  const script = `
    const { FdWriter } = await import(${JSON.stringify(WRITER)});
    ${nonBlocking ? "const net = await import('node:net'); new net.Socket({ fd: 1, readable: false, writable: true });" : ''}
    const out = new FdWriter(1);
    const pad = 'x'.repeat(${width} - 12);
    for (let i = 0; i < ${lines}; i++) out.write(String(i).padStart(10, '0') + ' ' + pad + '\\n');
    out.end();
    process.stderr.write('finished');
    process.exit(0);
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
}

describe('FdWriter', () => {
  let dir: string | undefined;
  beforeAll(ensureBuilt, 300_000);
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes every byte to a file, strings in their encoding and bytes as they are, and calls back', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-fd-'));
    const file = path.join(dir, 'out');
    const fd = openSync(file, 'w');
    const out = new FdWriter(fd);
    const called: string[] = [];
    expect(out.write('héllo\n', () => called.push('first'))).toBe(true);
    out.write(Buffer.from([0x62, 0x0a]));
    out.write('6869', 'hex', () => called.push('hex'));
    out.end('\n', () => called.push('end'));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('héllo\nb\nhi\n');
    expect(out.writable).toBe(false);
    expect(out.isTTY).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toEqual(['first', 'hex', 'end']);
  });

  it('throws a write error other than a reader leaving: a closed descriptor', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-fd-'));
    const fd = openSync(path.join(dir, 'out'), 'w');
    closeSync(fd);
    expect(() => new FdWriter(fd).write('lost?\n')).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  for (const nonBlocking of [false, true])
    it(`a slow reader gets every line in order through a ${nonBlocking ? 'non-blocking' : 'blocking'} pipe`, async () => {
      const lines = 20_000;
      const child = writer(lines, 64, nonBlocking);
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      // the pipe fills (1.25 MiB against 64 KiB of pipe) while nothing is read for a while
      child.stdout.pause();
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stdout.resume();
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(0);
      expect(stderr).toBe('finished');
      const got = Buffer.concat(chunks).toString('utf8').split('\n');
      expect(got.pop()).toBe('');
      expect(got).toHaveLength(lines);
      expect(got.every((line, i) => line.startsWith(String(i).padStart(10, '0')) && line.length === 63)).toBe(
        true,
      );
    });

  it('a reader that leaves early costs the rest of the output, not the run', async () => {
    const child = writer(200_000, 64, false);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('finished');
    expect(code).toBe(0);
  });
});
