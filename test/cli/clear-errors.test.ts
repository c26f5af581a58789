// What a new user meets first, said plainly: a referential that is not where
// the configuration says (not a bare ENOENT), a row that lost its trailing
// comma (named at its line, not blamed on the header), and `--help` giving
// each command's real default log level.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processIo } from '../../src/cli/common.js';
import { main } from '../../src/cli/main.js';
import { ReferentialMissingError } from '../../src/model/errors.js';
import { openReferentialSource } from '../../src/referential/source.js';
import { readRemoteText } from '../../src/referential/remote.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { ensureBuilt } from '../helpers/build.js';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

describe('a referential that is not there', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('scan and validate name the path and E_REFERENTIAL_MISSING, never ENOENT', async () => {
    ws = await Workspace.create();
    await rm(path.join(ws.dir, 'routes.csv'));
    const expected = `no referential at ${path.join(ws.dir, 'routes.csv')}`;

    const scan = await ws.run('scan');
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain(expected);
    expect(scan.stderr).toContain('E_REFERENTIAL_MISSING');
    expect(scan.stderr).toContain('--routes');
    expect(scan.stderr).not.toContain('ENOENT');

    const json = await ws.run('scan', '--json');
    expect(json.json()).toMatchObject({
      error: { code: 'E_REFERENTIAL_MISSING', details: { location: path.join(ws.dir, 'routes.csv') } },
    });

    const validate = await ws.run('validate', '--routes', 'elsewhere/routes.csv');
    expect(validate.code).toBe(1);
    const output = validate.stdout + validate.stderr;
    expect(output).toContain(`no referential at ${path.join(ws.dir, 'elsewhere/routes.csv')}`);
    expect(output).not.toContain('ENOENT');
  });

  it('the library raises ReferentialMissingError for a file or a bucket object', async () => {
    ws = await Workspace.create();
    const file = path.join(ws.dir, 'nope.csv');
    const opening = openReferentialSource({
      location: file,
      projects: {},
      storeFor: () => Promise.reject(new Error('no store needed')),
    });
    await expect(opening).rejects.toBeInstanceOf(ReferentialMissingError);
    await expect(opening).rejects.toMatchObject({
      code: 'E_REFERENTIAL_MISSING',
      details: { location: file },
    });

    const empty = { stat: async () => undefined } as unknown as ObjectStore;
    const ref = {
      uri: 'gs://config/routes.csv',
      backend: 'gcs',
      project: 'ops',
      bucket: 'config',
      key: 'routes.csv',
    };
    await expect(readRemoteText(empty, ref as never)).rejects.toMatchObject({
      code: 'E_REFERENTIAL_MISSING',
      details: { location: 'gs://config/routes.csv' },
    });
  });
});

describe('a row that lost its trailing comma', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('is named at its line, with the row as it should read; the header is not blamed', async () => {
    ws = await Workspace.create(`${HEADER}\np,a,\\.csv$,p,b\n`);
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain(
      'routes.csv:2: destination_directory: missing field "destination_directory" (this row has 5 field(s), the header 6): ' +
        'an empty destination_directory still needs its comma; expected the row to end with ",": p,a,\\.csv$,p,b,',
    );
    expect(output).not.toMatch(/routes\.csv:1:/);
  });

  it('a row short of more than its last field says what it lacks, also among complete rows', async () => {
    ws = await Workspace.create(`${HEADER}\np,a,\\.csv$,q,b,\np,c,\\.txt$,q\n`);
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain(
      'routes.csv:3: destination_bucket: missing field "destination_bucket" (this row has 4 field(s), the header 6): ' +
        'expected a value, or an empty field between commas, for each column of the header',
    );
    expect(output).toContain('routes.csv:3: destination_directory: missing field "destination_directory"');
    expect(output).not.toMatch(/routes\.csv:[12]:/);
  });
});

describe('--help states the default log level each command really uses', () => {
  const help = async (command: string): Promise<string> => {
    let out = '';
    const io = { ...processIo(), stdout: { write: (s: string) => (out += s) } as never };
    expect(await main(['node', 'switchyard', command, '--help'], io)).toBe(0);
    return out.replace(/\s+/g, ' ');
  };

  it('info for the long-running serve and worker, warn for one-shot commands', async () => {
    for (const command of ['serve', 'worker'])
      expect(await help(command), command).toMatch(
        /--log-level <level> trace, debug, info, warn, error or silent \(default: "info"[,)]/,
      );
    for (const command of ['scan', 'batch', 'status', 'enqueue'])
      expect(await help(command), command).toMatch(
        /--log-level <level> trace, debug, info, warn, error or silent \(default: "warn"[,)]/,
      );
  });
});

describe('a working folder removed after the shell entered it', () => {
  beforeAll(ensureBuilt, 300_000);

  it('is a usage error that says so (exit 2, --json too), not a crash with a stack trace', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-gone-'));
    const bin = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));
    const inRemoved = (...args: string[]) =>
      spawnSync(
        'sh',
        [
          '-c',
          'mkdir -p "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"',
          'sh',
          dir,
          process.execPath,
          bin,
          ...args,
        ],
        {
          encoding: 'utf8',
        },
      );
    try {
      const text = inRemoved('scan');
      expect(text.status).toBe(2);
      expect(text.stderr).toContain('the current folder cannot be read (ENOENT');
      expect(text.stderr).toContain('E_USAGE');
      expect(text.stderr).not.toContain('    at ');
      const json = inRemoved('scan', '--json');
      expect(json.status).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({
        error: { code: 'E_USAGE', details: { code: 'ENOENT' } },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
