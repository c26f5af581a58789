// Cases only the in-memory store has: its fault-injection hooks (used by
// router tests) and its namespaces. Everything backends share is in memory.test.ts.
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/model/errors.js';
import { MemoryBackend, MemoryStore, sharedMemoryBackend } from '../../src/storage/memory/store.js';

describe('memory store: fault injection and namespaces', () => {
  it('failNext fails the next calls of one operation only, after key validation', async () => {
    const store = new MemoryStore();
    const outage = new TransientError('E_BACKEND', 'simulated outage');
    store.failNext('write', outage, 2);
    await expect(store.write('b', '../x', Buffer.from('x'))).rejects.toMatchObject({ code: 'E_KEY_UNSAFE' });
    await expect(store.write('b', 'k', Buffer.from('x'))).rejects.toBe(outage);
    await expect(store.write('b', 'k', Buffer.from('x'))).rejects.toBe(outage);
    expect(await store.stat('b', 'k')).toBeUndefined();
    await store.write('b', 'k', Buffer.from('x'));
    for (const op of ['copy', 'delete', 'stat', 'read', 'list'] as const)
      store.failNext(op, new Error(`${op} down`));
    await expect(store.copy(store, { bucket: 'b', key: 'k' }, { bucket: 'b', key: 'k2' })).rejects.toThrow(
      'copy down',
    );
    await expect(store.stat('b', 'k')).rejects.toThrow('stat down');
    await expect(store.read('b', 'k')).rejects.toThrow('read down');
    await expect(store.list('b')).rejects.toThrow('list down');
    await expect(store.delete('b', 'k')).rejects.toThrow('delete down');
    await store.delete('b', 'k');
    store.failNext('stat', new Error('never'));
    store.clearFaults();
    expect(await store.stat('b', 'k')).toBeUndefined();
  });

  it('stores on one backend are separate namespaces that copy between each other; other backends cannot', async () => {
    const backend = new MemoryBackend();
    const a = new MemoryStore({ backend, name: 'memory:a' });
    const b = new MemoryStore({ backend, name: 'memory:b' });
    const again = new MemoryStore({ backend, name: 'memory:a' });
    const stranger = new MemoryStore({ name: 'memory:a' });
    await a.write('bucket', 'k', Buffer.from('x'));
    expect(await b.stat('bucket', 'k')).toBeUndefined();
    expect((await again.stat('bucket', 'k'))?.size).toBe(1);
    expect(b.canCopyFrom(a)).toBe(true);
    expect(stranger.canCopyFrom(a)).toBe(false);
    await expect(
      stranger.copy(a, { bucket: 'bucket', key: 'k' }, { bucket: 'bucket', key: 'k' }),
    ).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    expect(sharedMemoryBackend()).toBe(sharedMemoryBackend());
  });
});
