import { expect } from 'vitest';
import { PreconditionError } from '../../src/model/errors.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import type { Provenance } from '../../src/storage/types.js';
import type { SuiteContext } from './store.js';
import { listKeys, readText } from './store-streams.js';

/** Server-side copy, rename and provenance metadata. */
export function copyCases(ctx: SuiteContext): void {
  const { test, caps } = ctx;
  const serverSide = {
    when: caps.serverSideCopy,
    reason: 'the backend has no server-side copy (capabilities.serverSideCopy false)',
  };
  const conditionalCopy = {
    when: caps.serverSideCopy && caps.conditionalWrite,
    reason: 'needs server-side copy and conditional writes',
  };
  const peer = {
    when: caps.serverSideCopy && ctx.hasPeer,
    reason: ctx.hasPeer ? 'the backend has no server-side copy' : 'the factory gives no peer store',
  };
  const rename = { when: ctx.hasRename, reason: 'the backend has no rename (capabilities.rename false)' };
  const metadata = {
    when: caps.metadata,
    reason: 'the backend keeps no metadata (capabilities.metadata false); the ledger records provenance',
  };

  test(
    'copies server-side within the store',
    async () => {
      const { store, bucket } = ctx.fx();
      const source = await store.write(bucket, 'src/data.csv', Buffer.from('id,value\n1,42\n'));
      expect(store.canCopyFrom(store)).toBe(true);
      const before = store.stats ? { ...store.stats } : undefined;
      const info = await store.copy(
        store,
        { bucket, key: 'src/data.csv' },
        { bucket, key: 'dst/copied.csv' },
      );
      expect(info).toMatchObject({ bucket, key: 'dst/copied.csv', size: source.size });
      if (info.crc32c) expect(info.crc32c).toBe(crc32cOf('id,value\n1,42\n'));
      if (before && store.stats) expect(store.stats).toEqual(before);
      expect(await readText(store, bucket, 'dst/copied.csv')).toBe('id,value\n1,42\n');
      expect(await readText(store, bucket, 'src/data.csv')).toBe('id,value\n1,42\n');
      expect((await store.stat(bucket, 'dst/copied.csv'))!.generation).toBe(info.generation);
    },
    serverSide,
  );

  test(
    'copies server-side from a peer store of the same backend',
    async () => {
      const { store, bucket, peer: other, peerBucket } = ctx.fx();
      const fromBucket = peerBucket ?? bucket;
      await other!.write(fromBucket, 'landing/peer.csv', Buffer.from('from the peer'));
      expect(store.canCopyFrom(other!)).toBe(true);
      const info = await store.copy(
        other!,
        { bucket: fromBucket, key: 'landing/peer.csv' },
        { bucket, key: 'archive/peer.csv' },
      );
      expect(info).toMatchObject({ bucket, key: 'archive/peer.csv', size: 13 });
      expect(await readText(store, bucket, 'archive/peer.csv')).toBe('from the peer');
      expect(await readText(other!, fromBucket, 'landing/peer.csv')).toBe('from the peer');
    },
    peer,
  );

  test(
    'copy with a stale ifSourceGenerationMatch throws PreconditionError and writes nothing',
    async () => {
      const { store, bucket } = ctx.fx();
      const first = await store.write(bucket, 'src/moving.csv', Buffer.from('one'));
      await store.write(bucket, 'src/moving.csv', Buffer.from('two'));
      const error = await store
        .copy(
          store,
          { bucket, key: 'src/moving.csv' },
          { bucket, key: 'dst/moving.csv' },
          { ifSourceGenerationMatch: first.generation },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreconditionError);
      expect(error).toMatchObject({ code: 'E_PRECONDITION' });
      expect(await store.stat(bucket, 'dst/moving.csv')).toBeUndefined();
      expect(await listKeys(store, bucket)).toEqual(['src/moving.csv']);
    },
    serverSide,
  );

  test(
    'copy onto an existing key with ifGenerationMatch 0 throws PreconditionError',
    async () => {
      const { store, bucket } = ctx.fx();
      const source = await store.write(bucket, 'src/a.csv', Buffer.from('new bytes'));
      await store.write(bucket, 'dst/a.csv', Buffer.from('old bytes'));
      await expect(
        store.copy(
          store,
          { bucket, key: 'src/a.csv' },
          { bucket, key: 'dst/a.csv' },
          { ifGenerationMatch: '0', ifSourceGenerationMatch: source.generation },
        ),
      ).rejects.toBeInstanceOf(PreconditionError);
      expect(await readText(store, bucket, 'dst/a.csv')).toBe('old bytes');
      expect(await listKeys(store, bucket)).toEqual(['dst/a.csv', 'src/a.csv']);
    },
    conditionalCopy,
  );

  test(
    'rename moves an object and keeps its generation',
    async () => {
      const { store, bucket } = ctx.fx();
      const source = await store.write(bucket, 'in/move-me.csv', Buffer.from('moving'));
      const info = await store.rename!(
        store,
        { bucket, key: 'in/move-me.csv' },
        { bucket, key: 'out/2024/moved.csv' },
        {
          ifSourceGenerationMatch: source.generation,
        },
      );
      expect(info).toMatchObject({
        bucket,
        key: 'out/2024/moved.csv',
        size: 6,
        generation: source.generation,
      });
      expect(await store.stat(bucket, 'in/move-me.csv')).toBeUndefined();
      expect(await readText(store, bucket, 'out/2024/moved.csv')).toBe('moving');
      expect((await store.stat(bucket, 'out/2024/moved.csv'))!.generation).toBe(source.generation);
    },
    rename,
  );

  test(
    'rename refuses a stale source generation and an existing destination',
    async () => {
      const { store, bucket } = ctx.fx();
      const first = await store.write(bucket, 'in/a.csv', Buffer.from('one'));
      const second = await store.write(bucket, 'in/a.csv', Buffer.from('two'));
      await expect(
        store.rename!(
          store,
          { bucket, key: 'in/a.csv' },
          { bucket, key: 'out/a.csv' },
          { ifSourceGenerationMatch: first.generation },
        ),
      ).rejects.toBeInstanceOf(PreconditionError);
      const taken = await store.write(bucket, 'out/a.csv', Buffer.from('already here'));
      await expect(
        store.rename!(store, { bucket, key: 'in/a.csv' }, { bucket, key: 'out/a.csv' }),
      ).rejects.toBeInstanceOf(PreconditionError);
      expect(await readText(store, bucket, 'in/a.csv')).toBe('two');
      expect(await readText(store, bucket, 'out/a.csv')).toBe('already here');
      expect(await listKeys(store, bucket)).toEqual(['in/a.csv', 'out/a.csv']);
      const info = await store.rename!(
        store,
        { bucket, key: 'in/a.csv' },
        { bucket, key: 'out/a.csv' },
        {
          ifSourceGenerationMatch: second.generation,
          ifGenerationMatch: taken.generation,
        },
      );
      expect(info.generation).toBe(second.generation);
      expect(await listKeys(store, bucket)).toEqual(['out/a.csv']);
      expect(await readText(store, bucket, 'out/a.csv')).toBe('two');
    },
    rename,
  );

  test(
    'provenance written with an object is read back by stat',
    async () => {
      const { store, bucket } = ctx.fx();
      const provenance: Provenance = {
        source: 'landing-project/landing/in/sales_fr_2024.csv',
        generation: '1712345678901234',
        crc32c: crc32cOf('sales'),
        route: 'sales-fr',
        sourceUpdated: '2024-04-05T06:07:08.000Z',
      };
      const written = await store.write(bucket, 'sales/fr.csv', Buffer.from('sales'), {
        provenance,
        metadata: { team: 'finance' },
      });
      expect(written.provenance).toEqual(provenance);
      const info = await store.stat(bucket, 'sales/fr.csv');
      expect(info!.provenance).toEqual(provenance);
      expect(info!.metadata).toMatchObject({
        team: 'finance',
        'switchyard-source': provenance.source,
        'switchyard-route': 'sales-fr',
      });
      if (caps.serverSideCopy) {
        const moved: Provenance = { ...provenance, route: 'sales-archive' };
        const copied = await store.copy(
          store,
          { bucket, key: 'sales/fr.csv' },
          { bucket, key: 'archive/fr.csv' },
          { provenance: moved },
        );
        expect(copied.provenance).toEqual(moved);
        expect((await store.stat(bucket, 'archive/fr.csv'))!.provenance).toEqual(moved);
      }
    },
    metadata,
  );
}
