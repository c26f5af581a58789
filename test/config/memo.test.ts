// config/memo.ts: a configuration file is checked once per build, Node and
// text; whatever differs, or cannot be read, kept or trusted back, is checked.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/load.js';
import { checkedConfigFile, type ConfigMemo } from '../../src/config/memo.js';
import type { ConfigFile } from '../../src/config/schema.js';
import { ConfigInvalidError } from '../../src/model/errors.js';

const YAML = 'projects:\n  land: { backend: fs }\n  out: { backend: fs, root: /srv/out }\nconcurrency: 8\n';

describe('checkedConfigFile', () => {
  let dir: string;
  let memo: ConfigMemo;
  let checks: string[];
  /** parseConfigFile, counting the texts it checks. */
  const check = (text: string, source: string): Promise<ConfigFile> => {
    checks.push(text);
    return parseConfigFile(text, source);
  };
  const source = '/etc/switchyard/switchyard.yaml';
  const memoFolder = () => path.join(dir, 'config');

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-memo-'));
    memo = { dir, build: 'scan.0123456789abcdef' };
    checks = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('checks a text once: the next call gives the same configuration without checking', async () => {
    const first = await checkedConfigFile(memo, source, YAML, check);
    expect(first).toEqual(await parseConfigFile(YAML, source));
    const again = await checkedConfigFile(memo, source, YAML, check);
    expect(again).toStrictEqual(first);
    expect(checks).toHaveLength(1);
    const [file] = await readdir(memoFolder());
    expect((await stat(memoFolder())).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(memoFolder(), file!))).mode & 0o777).toBe(0o600);
  });

  it('checks again when the text, the build or the Node version differs', async () => {
    await checkedConfigFile(memo, source, YAML, check);
    const edited = `${YAML}# a comment\n`;
    await checkedConfigFile(memo, source, edited, check);
    expect(checks).toEqual([YAML, edited]);
    await checkedConfigFile({ ...memo, build: 'scan.fedcba9876543210' }, source, edited, check);
    expect(checks).toHaveLength(3);
    const [file] = await readdir(memoFolder());
    const kept = JSON.parse(await readFile(path.join(memoFolder(), file!), 'utf8')) as { node: string };
    await writeFile(path.join(memoFolder(), file!), JSON.stringify({ ...kept, node: '0.0.1' }));
    await checkedConfigFile({ ...memo, build: 'scan.fedcba9876543210' }, source, edited, check);
    expect(checks).toHaveLength(4);
  });

  it('keeps one entry per file and command: another path or command is checked on its own', async () => {
    await checkedConfigFile(memo, source, YAML, check);
    await checkedConfigFile(memo, '/srv/other/switchyard.yaml', YAML, check);
    await checkedConfigFile({ ...memo, build: 'batch.0123456789abcdef' }, source, YAML, check);
    expect(checks).toHaveLength(3);
    expect(await readdir(memoFolder())).toHaveLength(3);
    await checkedConfigFile(memo, source, YAML, check);
    await checkedConfigFile({ ...memo, build: 'batch.0123456789abcdef' }, source, YAML, check);
    expect(checks).toHaveLength(3);
  });

  it('never keeps a file with a mistake: each call reports it', async () => {
    const bad = 'projects:\n  land: { backend: floppy }\n';
    for (let i = 0; i < 2; i++)
      await expect(checkedConfigFile(memo, source, bad, check)).rejects.toBeInstanceOf(ConfigInvalidError);
    expect(checks).toEqual([bad, bad]);
    await expect(readdir(memoFolder())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a remembered text that was good does not excuse an edited one with a mistake', async () => {
    await checkedConfigFile(memo, source, YAML, check);
    await expect(
      checkedConfigFile(memo, source, YAML.replace('concurrency: 8', 'concurrency: 0'), check),
    ).rejects.toBeInstanceOf(ConfigInvalidError);
    expect(await checkedConfigFile(memo, source, YAML, check)).toMatchObject({ concurrency: 8 });
  });

  it('checks again over an entry it cannot read or trust: garbage, JSON of another shape, no configuration', async () => {
    await checkedConfigFile(memo, source, YAML, check);
    const [file] = await readdir(memoFolder());
    const entry = path.join(memoFolder(), file!);
    const kept = JSON.parse(await readFile(entry, 'utf8')) as Record<string, unknown>;
    for (const damaged of ['{"build": ', 'null', '[1,2]', JSON.stringify({ ...kept, config: null })]) {
      await writeFile(entry, damaged);
      expect(await checkedConfigFile(memo, source, YAML, check)).toMatchObject({ concurrency: 8 });
    }
    expect(checks).toHaveLength(5);
    // the last check wrote a sound entry back
    await checkedConfigFile(memo, source, YAML, check);
    expect(checks).toHaveLength(5);
  });

  it('keeps nothing that JSON would not give back as it is (then checks at every call)', async () => {
    const odd = async (): Promise<ConfigFile> => {
      checks.push('odd');
      return { projects: {}, routes: undefined } as ConfigFile;
    };
    await checkedConfigFile(memo, source, YAML, odd);
    await checkedConfigFile(memo, source, YAML, odd);
    expect(checks).toEqual(['odd', 'odd']);
  });

  it('a folder it cannot write costs only the check: the configuration is still given', async () => {
    const blocked = path.join(dir, 'not-a-folder');
    await writeFile(blocked, 'a file where the cache folder would be');
    const stuck = { ...memo, dir: blocked };
    for (let i = 0; i < 2; i++)
      expect(await checkedConfigFile(stuck, source, YAML, check)).toMatchObject({ concurrency: 8 });
    expect(checks).toHaveLength(2);
  });
});
