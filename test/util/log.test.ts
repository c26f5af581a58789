// createLogger defers pino to the first line its level lets through, and a
// one-shot command's logger (sync) has written each line when the call returns.
// Run in a child process on dist/ (ensureBuilt), where what is loaded can be seen.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { createLogger } from '../../src/util/log.js';

const LOG = fileURLToPath(new URL('../../dist/util/log.js', import.meta.url));
const run = promisify(execFile);

/** Runs `body` (an async function body with `createLogger` and `pinoLoaded()` in scope) in a child process. */
async function child(body: string): Promise<{ stdout: string; stderr: string }> {
  const script = `
    import { createRequire } from 'node:module';
    import { createLogger } from ${JSON.stringify(LOG)};
    const cache = createRequire(import.meta.url)('node:module')._cache;
    const pinoLoaded = () => Object.keys(cache).some((file) => file.includes(${JSON.stringify(`${path.sep}pino${path.sep}`)}));
    ${body}
  `;
  return run(process.execPath, ['--input-type=module', '-e', script]);
}

describe('createLogger', () => {
  beforeAll(ensureBuilt, 300_000);

  it('loads pino on the first line its level lets through, not before', async () => {
    const { stdout, stderr } = await child(`
      const logger = createLogger({ level: 'warn', sync: true });
      logger.info({ n: 1 }, 'dropped');
      logger.debug('dropped too');
      console.log(pinoLoaded());
      logger.warn({ n: 2, token: 'hidden' }, 'written');
      console.log(pinoLoaded());
    `);
    expect(stdout.split('\n').filter(Boolean)).toEqual(['false', 'true']);
    const lines = stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      level: 'warn',
      component: 'switchyard',
      n: 2,
      token: '[redacted]',
      message: 'written',
    });
  });

  it("with sync, nothing is left to flush at exit: no exit hook (pino's asynchronous stream flushes and fsyncs standard error in one)", async () => {
    const hooks = async (sync: boolean): Promise<string[]> => {
      const { stdout, stderr } = await child(`
        const hooks = () => process.listenerCount('exit') + process.listenerCount('beforeExit');
        const before = hooks();
        createLogger({ level: 'info', sync: ${sync} }).error({ code: 'E_X' }, 'last words');
        console.log(hooks() - before);
      `);
      return [stdout.trim(), String(stderr.includes('"message":"last words"'))];
    };
    expect(await hooks(true)).toEqual(['0', 'true']);
    const [added, written] = await hooks(false);
    expect(Number(added)).toBeGreaterThan(0);
    expect(written).toBe('true');
  });

  it('refuses an unknown level with E_USAGE, naming it, and a level set later applies at once', () => {
    expect(() => createLogger({ level: 'loud' })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    const lines: string[] = [];
    const logger = createLogger({
      level: 'error',
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.warn('before');
    expect(logger.isLevelEnabled('warn')).toBe(false);
    logger.level = 'warn';
    logger.warn('after');
    expect(logger.isLevelEnabled('warn')).toBe(true);
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['after']);
  });
});
