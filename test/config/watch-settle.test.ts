// `watch.settle` in switchyard.yaml: the folder watcher's quiet period, one
// value for every bucket or one per source bucket.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfigText } from '../../src/config/config-problems.js';
import { loadConfig, parseConfigFile } from '../../src/config/load.js';
import { quietPeriodOf } from '../../src/triggers/fs-watch/watcher.js';
import { Workspace } from '../helpers/workspace.js';

describe('watch.settle', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('takes one duration for every bucket, or a default and PROJECT/BUCKET entries', async () => {
    expect((await parseConfigFile('watch: { settle: 5s }\n', 'f')).watch).toEqual({
      settle: { default: 5_000, buckets: {} },
    });
    const perBucket = await parseConfigFile(
      'watch:\n  settle:\n    default: 2s\n    landing/sftp: 1.5m\n    landing/fast: 0\n',
      'f',
    );
    expect(perBucket.watch?.settle).toEqual({
      default: 2_000,
      buckets: { 'landing/sftp': 90_000, 'landing/fast': 0 },
    });
    const quiet = perBucket.watch!.settle!;
    expect(quietPeriodOf(quiet, 'landing', 'sftp')).toBe(90_000);
    expect(quietPeriodOf(quiet, 'landing', 'fast')).toBe(0);
    expect(quietPeriodOf(quiet, 'landing', 'other')).toBe(2_000);
    expect(quietPeriodOf({ buckets: {} }, 'landing', 'other')).toBe(0);
  });

  it('refuses a bare number (5 would mean 5 ms), a non-duration and a key that is not PROJECT/BUCKET, with their line', () => {
    const text =
      'concurrency: 4\nwatch:\n  settle:\n    default: 5\n    landing: 1s\n    landing/sftp: soon\n';
    const { problems } = checkConfigText(text, 'switchyard.yaml');
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [
        4,
        'watch.settle.default',
        'key `watch.settle.default`: expected a duration like 30s, 5m or 1500ms (its unit written out; 0 for none), got 5',
      ],
      [
        5,
        'watch.settle.landing',
        'key `watch.settle.landing`: expected `default` or a source bucket as PROJECT/BUCKET, got "landing"',
      ],
      [
        6,
        'watch.settle.landing/sftp',
        'key `watch.settle.landing/sftp`: expected a duration like 30s, 5m or 1500ms (its unit written out; 0 for none), got "soon"',
      ],
    ]);
    const unknown = checkConfigText('watch:\n  setle: 5s\n', 'switchyard.yaml').problems;
    expect(unknown[0]?.message).toBe('key `watch.setle`: unknown key: expected one of settle');
  });

  it('refuses a bucket of a project switchyard.yaml does not declare', () => {
    const { problems } = checkConfigText(
      'projects:\n  landing: { backend: fs }\nwatch:\n  settle:\n    landng/sftp: 10s\n',
      'switchyard.yaml',
    );
    expect(problems).toEqual([
      expect.objectContaining({
        line: 5,
        column: 'watch.settle.landng/sftp',
        message: expect.stringContaining(
          'expected a bucket of a project of `projects` (landing), got project "landng"',
        ),
      }),
    ]);
  });

  it('reaches the runtime config; validate warns about a bucket no row reads from', async () => {
    ws = await Workspace.create(
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\nlanding,sftp,\\.csv$,finance,raw,\n',
    );
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'watch:\n  settle:\n    landing/sftp: 10s\n    landing/sftpp: 10s\n',
    );
    expect((await loadConfig({}, {}, ws.dir)).watch).toEqual({
      settle: { buckets: { 'landing/sftp': 10_000, 'landing/sftpp': 10_000 } },
    });
    const run = await ws.run('validate', '--json');
    expect(run.code, run.stdout).toBe(0);
    expect(run.json<{ warnings: unknown[] }>().warnings).toEqual([
      expect.objectContaining({
        line: 4,
        column: 'watch.settle.landing/sftpp',
        severity: 'warning',
        message: expect.stringContaining('no row reads from'),
      }),
    ]);
  });
});
