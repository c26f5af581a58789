// Hot reload keeps the last good referential: an invalid, empty or
// half-written version is refused, logged at error level and counted; a
// local file is read only once two checks in a row see it unchanged.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/util/log.js';
import { Metrics } from '../../src/observability/metrics.js';
import { ReferentialSource } from '../../src/referential/source.js';
import { fileReader, type ReferentialReader } from '../../src/referential/readers.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';
const GOOD = `${HEADER}\nland,in,\\.csv$,out,raw,\n`;

function capturingLogger(): { logger: Logger; levels: string[] } {
  const levels: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => void levels.push((JSON.parse(s) as { level: string }).level) },
  });
  return { logger, levels };
}

/** A remote-like reader (a bucket object): every version is read at once. */
function memoryReader(initial: string): ReferentialReader & { put(text: string): void } {
  let text = initial;
  let generation = 1;
  return {
    version: async () => String(generation),
    read: async () => ({ text, version: String(generation) }),
    put(next: string) {
      text = next;
      generation++;
    },
  };
}

describe('ReferentialSource: a local file', () => {
  let dir: string | undefined;
  let source: ReferentialSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function open(text: string, logger?: Logger): Promise<string> {
    dir = await mkdtemp(path.join(tmpdir(), 'sy-source-'));
    const file = path.join(dir, 'routes.csv');
    await writeFile(file, text);
    source = await ReferentialSource.open({
      location: file,
      reader: fileReader(file),
      pollMs: 0,
      ...(logger ? { logger } : {}),
    });
    return file;
  }

  it('reads a new version only when two checks in a row see the same size and mtime', async () => {
    const file = await open(GOOD);
    await writeFile(file, `${HEADER}\nland,in,\\.csv$,out,raw,\nland,in,\\.txt$,out,text,\n`);
    expect(await source!.reload()).toEqual({ changed: false, problems: [] });
    expect(source!.current().routes).toHaveLength(1);
    expect(await source!.reload()).toMatchObject({ changed: true });
    expect(source!.current().routes).toHaveLength(2);
  });

  it('a file still growing is not read half-way', async () => {
    const file = await open(GOOD);
    await writeFile(file, `${HEADER}\nland,in,\\.csv$,out,raw,\nland,in,\\.tx`);
    expect((await source!.reload()).changed).toBe(false);
    await writeFile(file, `${HEADER}\nland,in,\\.csv$,out,raw,\nland,in,\\.txt$,out,text,\n`);
    expect((await source!.reload()).changed).toBe(false);
    expect(source!.reloadFailures).toBe(0);
    expect((await source!.reload()).changed).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['header-only', `${HEADER}\n`],
    ['half-written', `${HEADER}\nland,in,\\.csv$,out`],
    ['invalid', `${HEADER}\nland,in,finance(,out,raw,\n`],
  ])('an %s version is refused: the old one stays, logged at error once and counted', async (_what, text) => {
    const { logger, levels } = capturingLogger();
    const file = await open(GOOD, logger);
    const before = source!.current();
    await writeFile(file, text);
    await source!.reload();
    const refused = await source!.reload();
    expect(refused.changed).toBe(false);
    expect(refused.problems.some((p) => p.severity === 'error' && p.file === file)).toBe(true);
    expect(source!.current()).toBe(before);
    expect(await source!.reload()).toMatchObject({ changed: false });
    expect(levels.filter((l) => l === 'error')).toHaveLength(1);
    expect(source!.reloadFailures).toBe(1);
  });
});

describe('ReferentialSource: a bucket object', () => {
  it('refuses an invalid generation at once, keeps the old routes, counts each refused generation', async () => {
    const reader = memoryReader(GOOD);
    const source = await ReferentialSource.open({ location: 'gs://conf/routes.csv', reader, pollMs: 0 });
    const before = source.current();
    reader.put(`${HEADER}\n`);
    expect((await source.reload()).changed).toBe(false);
    expect(source.current()).toBe(before);
    reader.put(`${HEADER},acton\nland,in,\\.csv$,out,raw,,copy\n`);
    const refused = await source.reload();
    expect(refused.problems).toContainEqual(
      expect.objectContaining({ file: 'gs://conf/routes.csv', line: 1, column: 'acton', severity: 'error' }),
    );
    expect(source.reloadFailures).toBe(2);
    reader.put(`${HEADER}\nland,in,\\.csv$,out,fixed,\n`);
    expect((await source.reload()).changed).toBe(true);
    expect(source.current().routes[0]?.destinationBucket).toBe('fixed');
  });
});

describe('ReferentialSource: declared projects', () => {
  it('refuses a version naming a project switchyard.yaml does not declare, keeping the last good one', async () => {
    const reader = memoryReader(GOOD);
    const { logger, levels } = capturingLogger();
    const source = await ReferentialSource.open({
      location: 'routes.csv',
      reader,
      pollMs: 0,
      logger,
      declaredProjects: ['land', 'out'],
    });
    const before = source.current();
    reader.put(`${HEADER}\nland,in,\\.csv$,uot,raw,\n`);
    const refused = await source.reload();
    expect(refused.changed).toBe(false);
    expect(refused.problems).toEqual([
      expect.objectContaining({
        line: 2,
        column: 'destination_project',
        severity: 'error',
        message: expect.stringMatching(
          /^E_PROJECT_UNDECLARED: project "uot" is not declared: .*did you mean "out"\?/,
        ),
      }),
    ]);
    expect(source.current()).toBe(before);
    expect(source.reloadFailures).toBe(1);
    expect(levels).toContain('error');
    reader.put(`${HEADER}\nland,in,\\.csv$,out,fixed,\n`);
    expect((await source.reload()).changed).toBe(true);
  });

  it('refuses to open on a first version naming an undeclared project', async () => {
    await expect(
      ReferentialSource.open({
        location: 'routes.csv',
        reader: memoryReader(GOOD),
        pollMs: 0,
        declaredProjects: ['land'],
      }),
    ).rejects.toThrow(/routes\.csv:2: destination_project: E_PROJECT_UNDECLARED: project "out"/);
  });
});

describe('metrics of the referential', () => {
  it('exports the reload failures and the age of the referential in effect', async () => {
    const reader = memoryReader(GOOD);
    const source = await ReferentialSource.open({ location: 'routes.csv', reader, pollMs: 0 });
    const metrics = new Metrics({ referential: source }, { defaultMetrics: false });
    expect(await metrics.text()).toMatch(/^switchyard_referential_reload_failures_total 0$/m);
    reader.put('');
    await source.reload();
    const text = await metrics.text();
    expect(text).toMatch(/^switchyard_referential_reload_failures_total 1$/m);
    const age = Number(/^switchyard_referential_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(source.ageSeconds(Date.now() + 60_000)).toBeGreaterThanOrEqual(60);
  });
});
