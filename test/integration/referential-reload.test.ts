// The referential is re-read when it changes (local file by mtime, once two
// checks in a row see it unchanged; S3 object by ETag) so a long-running
// process picks up edits without a restart; a bad version is refused,
// loudly, and the previous one stays in effect.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { openMeteredContext } from '../../src/modes/event.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  configOf,
  HEADER,
  s3Bucket,
  s3Get,
  s3Put,
  startCloud,
  type Cloud,
  type ScanJson,
} from './cloud-fixture.js';

interface LogLine {
  level: string;
  message: string;
  problems?: string[];
  source?: string;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  });
  return { logger, lines };
}

describe('referential reload', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;
  let ctx: Context | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    await ws?.remove();
    ws = undefined;
  });

  const routesFile = () => path.join(ws!.dir, 'routes.csv');

  it('a local file edited: new routes take effect on the next event (reload, then polling)', async () => {
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,\\.csv$,out,raw,,move\n`);
    await ws.put('land/in/a.txt', 'a');
    ctx = await openContext(await configOf(ws, { routesPoll: 0 }), silentLogger());
    const event = { project: 'land', bucket: 'in', key: 'a.txt', origin: 'manual' as const };
    expect((await ctx.router.route(event)).outcome).toBe('unrouted');

    await writeFile(
      routesFile(),
      `${HEADER}\nland,in,\\.csv$,out,raw,,move\nland,in,\\.txt$,out,text,,move\n`,
    );
    expect(await ctx.referentialSource.reload()).toEqual({ changed: false, problems: [] });
    expect(await ctx.referentialSource.reload()).toMatchObject({ changed: true });
    expect((await ctx.router.route(event)).outcome).toBe('routed');
    expect(await ws.read('out/text/a.txt')).toEqual(Buffer.from('a'));
    expect(await ctx.referentialSource.reload()).toEqual({ changed: false, problems: [] });
    await ctx.close();

    ctx = await openContext(await configOf(ws, { routesPoll: 20 }), silentLogger());
    await writeFile(routesFile(), `${HEADER}\nland,in,\\.log$,out,logs,,move\n`);
    await vi.waitFor(() => expect(ctx!.referential().routes.map((r) => r.mask)).toEqual(['\\.log$']), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it('a broken edit is refused: the old routes stay, the problems are logged at error level once', async () => {
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,\\.csv$,out,raw,,move\n`);
    const { logger, lines } = capturingLogger();
    ctx = await openContext(await configOf(ws, { routesPoll: 0 }), logger);
    const before = ctx.referential();

    await writeFile(routesFile(), `${HEADER}\nland,in,finance(,out,raw,,move\n`);
    await ctx.referentialSource.reload();
    const refused = await ctx.referentialSource.reload();
    expect(refused.changed).toBe(false);
    expect(refused.problems).toContainEqual(
      expect.objectContaining({ file: routesFile(), line: 2, column: 'source_file_mask', severity: 'error' }),
    );
    expect(ctx.referential()).toBe(before);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/refused/);
    expect(errors[0]?.problems?.[0]).toMatch(new RegExp(`^${escape(routesFile())}:2: source_file_mask: `));

    expect((await ctx.referentialSource.reload()).changed).toBe(false);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    const event = { project: 'land', bucket: 'in', key: 'x.csv', origin: 'manual' as const };
    await ws.put('land/in/x.csv', 'x');
    expect((await ctx.router.route(event)).outcome).toBe('routed');

    await writeFile(routesFile(), `${HEADER}\nland,in,\\.csv$,out,fixed,,move\n`);
    expect((await ctx.referentialSource.reload()).changed).toBe(false);
    expect((await ctx.referentialSource.reload()).changed).toBe(true);
    expect(ctx.referential().routes[0]?.destinationBucket).toBe('fixed');
    expect(lines.some((l) => l.level === 'info' && /reloaded/.test(l.message))).toBe(true);
  });

  it('serve and batch metrics count refused versions and show the age of the one in effect', async () => {
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,\\.csv$,out,raw,,move\n`);
    const opened = await openMeteredContext(await configOf(ws, { routesPoll: 0 }), silentLogger());
    ctx = opened.ctx;
    expect(await opened.metrics.text()).toMatch(/^switchyard_referential_reload_failures_total 0$/m);
    await writeFile(routesFile(), `${HEADER}\n`);
    await ctx.referentialSource.reload();
    expect((await ctx.referentialSource.reload()).changed).toBe(false);
    expect(ctx.referential().routes).toHaveLength(1);
    const text = await opened.metrics.text();
    expect(text).toMatch(/^switchyard_referential_reload_failures_total 1$/m);
    expect(text).toMatch(/^switchyard_referential_age_seconds \d/m);
  });

  it('an S3 referential (s3://bucket/key + routesProject) is read, routed by, and picked up when edited', async () => {
    const conf = await s3Bucket(cloud, 'conf');
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, '', `routes: s3://${conf}/routing/routes.csv\nroutesProject: src\n`);
    await s3Put(
      cloud,
      conf,
      'routing/routes.csv',
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},csv,move\n`,
    );
    await s3Put(cloud, landing, 'a.csv', 'a');
    await s3Put(cloud, landing, 'b.json', '{}');

    const run = await ws.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 1, unrouted: 1, failed: 0 });
    expect(await s3Get(cloud, lake, 'csv/a.csv')).toEqual(Buffer.from('a'));

    const { logger, lines } = capturingLogger();
    ctx = await openContext(await configOf(ws, { routesPoll: 0 }), logger);
    expect(ctx.referential().source).toBe(`s3://${conf}/routing/routes.csv`);
    expect(ctx.referential().routes).toHaveLength(1);
    await s3Put(
      cloud,
      conf,
      'routing/routes.csv',
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},csv,move\nsrc,${landing},\\.json$,lake,${lake},json,move\n`,
    );
    expect((await ctx.referentialSource.reload()).changed).toBe(true);
    const routed = await ctx.router.route({
      project: 'src',
      bucket: landing,
      key: 'b.json',
      origin: 'manual',
    });
    expect(routed.outcome).toBe('routed');
    expect(await s3Get(cloud, lake, 'json/b.json')).toEqual(Buffer.from('{}'));

    await s3Put(
      cloud,
      conf,
      'routing/routes.csv',
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},../up,move\n`,
    );
    const refused = await ctx.referentialSource.reload();
    expect(refused.changed).toBe(false);
    expect(refused.problems[0]).toMatchObject({
      file: `s3://${conf}/routing/routes.csv`,
      line: 2,
      column: 'destination_directory',
    });
    expect(ctx.referential().routes).toHaveLength(2);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('a referential that vanished keeps the previous version, with an error', async () => {
    const conf = await s3Bucket(cloud, 'conf');
    ws = await cloudWorkspace(cloud, '', `routes: s3://${conf}/routes.yaml\nroutesProject: lake\n`);
    await s3Put(
      cloud,
      conf,
      'routes.yaml',
      `- {source_project: src, source_bucket: a, source_file_mask: x, destination_project: lake, destination_bucket: b, destination_directory: ''}\n`,
    );
    const { logger, lines } = capturingLogger();
    ctx = await openContext(await configOf(ws, { routesPoll: 0 }), logger);
    const store = await ctx.stores.storeFor('lake');
    await store.delete(conf, 'routes.yaml');
    const result = await ctx.referentialSource.reload();
    expect(result.changed).toBe(false);
    expect(result.problems[0]?.message).toMatch(/gone/);
    expect(ctx.referential().routes).toHaveLength(1);
    expect(lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('refuses a bucket referential without a matching routesProject, naming the key', async () => {
    ws = await cloudWorkspace(cloud, '', 'routes: gs://conf/routes.csv\n');
    await expect(configOf(ws)).rejects.toThrow(/routesProject/);
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'routes: gs://conf/routes.csv\nroutesProject: nope\nprojects: {}\n',
    );
    await expect(loadConfig({}, {}, ws!.dir)).rejects.toThrow(/routesProject.*nope/);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), 'projects: {}\n');
    const config = await loadConfig({ routes: 's3://conf/routes.csv' }, {}, ws.dir);
    await expect(openContext(config, silentLogger())).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
