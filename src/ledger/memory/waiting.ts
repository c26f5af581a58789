import type { WaitingBook, WaitingGroup, WaitingGroupKey } from '../types.js';

export const groupKey = (g: WaitingGroupKey): string =>
  JSON.stringify([g.project, g.bucket, g.folder, g.routeId]);

/** Open groups first seen earliest first, at most `limit` (every backend's order). */
export function oldestFirst(groups: Iterable<WaitingGroup>, limit = Infinity): WaitingGroup[] {
  return [...groups]
    .filter((g) => g.deadAt === undefined)
    .sort((a, b) => a.firstSeenAt - b.firstSeenAt || (groupKey(a) < groupKey(b) ? -1 : 1))
    .slice(0, limit)
    .map((g) => ({ ...g }));
}

/** The memory ledger's waiting groups (WaitingBook), in one map shared with its reports. */
export class MemoryWaitingBook implements WaitingBook {
  constructor(private readonly groups: Map<string, WaitingGroup>) {}

  async record(group: WaitingGroupKey, members: number, at: number): Promise<void> {
    const key = groupKey(group);
    const existing = this.groups.get(key);
    const fresh = !existing || existing.deadAt !== undefined;
    this.groups.set(key, {
      project: group.project,
      bucket: group.bucket,
      folder: group.folder,
      routeId: group.routeId,
      firstSeenAt: fresh ? at : Math.min(existing.firstSeenAt, at),
      lastSeenAt: fresh ? at : Math.max(existing.lastSeenAt, at),
      members,
    });
  }

  async resolve(group: WaitingGroupKey): Promise<void> {
    this.groups.delete(groupKey(group));
  }

  async expire(group: WaitingGroupKey, at: number, reason: string): Promise<boolean> {
    const existing = this.groups.get(groupKey(group));
    if (!existing || existing.deadAt !== undefined) return false;
    existing.deadAt = at;
    existing.reason = reason;
    return true;
  }

  async open(limit?: number): Promise<WaitingGroup[]> {
    return oldestFirst(this.groups.values(), limit);
  }
}
