// FsStore.renameMany: the moves of a scan's page made together, each with the
// guarantees of rename(): no destination replaced, only the generation listed
// moved, every destination durable and recorded before any source goes, and
// a source removed only while its name still holds the inode moved.
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/model/errors.js';
import { FsStore } from '../../src/storage/fs/store.js';
import type { ObjectInfo, RenameMove } from '../../src/storage/types.js';

describe('FsStore.renameMany', () => {
  let root: string;
  let land: FsStore;
  let lake: FsStore;
  const file = (...parts: string[]) => path.join(root, ...parts);
  const exists = (p: string) =>
    lstat(p).then(
      () => true,
      () => false,
    );
  /** A file in land/in and the move of its generation now to lake/raw under the same key. */
  const landed = async (key: string, body = `bytes of ${key}`): Promise<RenameMove> => {
    await mkdir(path.dirname(file('land', 'in', key)), { recursive: true });
    await writeFile(file('land', 'in', key), body);
    const info = (await land.stat('in', key)) as ObjectInfo;
    return { from: { bucket: 'in', key }, to: { bucket: 'raw', key }, generation: info.generation };
  };
  const codeOf = (outcome: ObjectInfo | Error) =>
    outcome instanceof SwitchyardError ? outcome.code : outcome;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'switchyard-rename-many-'));
    land = new FsStore({ root: file('land') });
    lake = new FsStore({ root: file('lake') });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('links every destination before the record, and removes each source after it', async () => {
    const moves = [await landed('a.csv'), await landed('2026/12/b.csv'), await landed('2026/12/c.csv')];
    const seen: { standing: number[]; sources: boolean[]; destinations: boolean[] }[] = [];
    const outcomes = await lake.renameMany(land, moves, async (standing) => {
      seen.push({
        standing,
        sources: await Promise.all(moves.map((m) => exists(file('land', 'in', m.from.key)))),
        destinations: await Promise.all(moves.map((m) => exists(file('lake', 'raw', m.to.key)))),
      });
    });
    expect(seen).toEqual([
      { standing: [0, 1, 2], sources: [true, true, true], destinations: [true, true, true] },
    ]);
    for (const [i, move] of moves.entries()) {
      const outcome = outcomes[i] as ObjectInfo;
      expect(outcome.generation).toBe(move.generation);
      expect(await exists(file('land', 'in', move.from.key))).toBe(false);
      expect(await readFile(file('lake', 'raw', move.to.key), 'utf8')).toBe(`bytes of ${move.from.key}`);
    }
  });

  it('leaves a taken destination and a changed or missing source as they are, and moves the rest', async () => {
    const taken = await landed('taken.csv');
    await mkdir(file('lake', 'raw'), { recursive: true });
    await writeFile(file('lake', 'raw', 'taken.csv'), 'someone else’s file');
    const changed = await landed('changed.csv');
    await writeFile(file('land', 'in', 'changed.csv'), 'written again, longer than before');
    const missing = await landed('missing.csv');
    await unlink(file('land', 'in', 'missing.csv'));
    const fine = await landed('fine.csv');
    const recorded: number[][] = [];
    const outcomes = await lake.renameMany(land, [taken, changed, missing, fine], async (standing) => {
      recorded.push(standing);
    });
    expect(outcomes.map(codeOf)).toEqual([
      'E_PRECONDITION',
      'E_PRECONDITION',
      'E_NOT_FOUND',
      expect.anything(),
    ]);
    expect((outcomes[3] as ObjectInfo).generation).toBe(fine.generation);
    expect(recorded).toEqual([[3]]);
    // nothing replaced, nothing taken back that was not ours, nothing removed but the moved source
    expect(await readFile(file('lake', 'raw', 'taken.csv'), 'utf8')).toBe('someone else’s file');
    expect(await readFile(file('land', 'in', 'taken.csv'), 'utf8')).toBe('bytes of taken.csv');
    expect(await exists(file('lake', 'raw', 'changed.csv'))).toBe(false);
    expect(await readFile(file('land', 'in', 'changed.csv'), 'utf8')).toBe(
      'written again, longer than before',
    );
    expect(await exists(file('lake', 'raw', 'missing.csv'))).toBe(false);
    expect(await exists(file('land', 'in', 'fine.csv'))).toBe(false);
  });

  it('keeps every source when the record fails; the destinations stand for the next attempt to judge', async () => {
    const moves = [await landed('a.csv'), await landed('b.csv')];
    const failure = new Error('ledger unavailable');
    const outcomes = await lake.renameMany(land, moves, async () => {
      throw failure;
    });
    expect(outcomes).toEqual([failure, failure]);
    for (const move of moves) {
      expect(await exists(file('land', 'in', move.from.key))).toBe(true);
      expect(await exists(file('lake', 'raw', move.to.key))).toBe(true);
    }
  });

  it('keeps a source written again after the record: only the inode moved is unlinked', async () => {
    const move = await landed('a.csv');
    const outcomes = await lake.renameMany(land, [move], async () => {
      // a writer lands a new file under the source's name between the record and the unlink
      await unlink(file('land', 'in', 'a.csv'));
      await writeFile(file('land', 'in', 'a.csv'), 'a newer file');
    });
    expect((outcomes[0] as ObjectInfo).generation).toBe(move.generation);
    expect(await readFile(file('land', 'in', 'a.csv'), 'utf8')).toBe('a newer file');
    expect(await readFile(file('lake', 'raw', 'a.csv'), 'utf8')).toBe('bytes of a.csv');
  });

  it('never follows a symbolic link below a bucket, on either side', async () => {
    const outside = file('outside');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'x.csv'), 'outside');
    const inside = await landed('ok/x.csv');
    await mkdir(file('land', 'in', 'linked'), { recursive: true });
    await rm(file('land', 'in', 'linked'), { recursive: true });
    await symlink(outside, file('land', 'in', 'linked'));
    await mkdir(file('lake', 'raw'), { recursive: true });
    await symlink(outside, file('lake', 'raw', 'ok'));
    const viaSource: RenameMove = {
      from: { bucket: 'in', key: 'linked/x.csv' },
      to: { bucket: 'raw', key: 'elsewhere/x.csv' },
      generation: '1-7-1',
    };
    const outcomes = await lake.renameMany(land, [inside, viaSource], async () => undefined);
    expect(outcomes.map(codeOf)).toEqual(['E_SYMLINK', 'E_SYMLINK']);
    expect(await readFile(path.join(outside, 'x.csv'), 'utf8')).toBe('outside');
    expect(await exists(file('land', 'in', 'ok', 'x.csv'))).toBe(true);
    expect(await exists(file('lake', 'raw', 'elsewhere', 'x.csv'))).toBe(false);
  });
});
