import type { Ledger, WaitingGroup } from '../ledger/types.js';
import type { ErrorCode } from '../model/errors.js';
import { fileNameOf } from '../model/keys.js';
import type { Referential } from '../referential/types.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { ObjectInfo } from '../storage/types.js';
import type { Logger } from '../util/log.js';
import { groupState, listFolder } from './group-folder.js';
import { planDeliveries } from './plan.js';
import { recordRefused, type RefusalContext } from './refusals.js';

/** The error code a member of a group that timed out is dead-lettered with. */
export const GROUP_TIMEOUT: ErrorCode = 'E_GROUP_TIMEOUT';

export interface GroupTimeoutContext {
  ledger: Ledger;
  stores: StoreRegistry;
  referential: Referential;
  refusals: RefusalContext;
  log: Logger;
  now: () => number;
}

/** A group dead-lettered for its age: where, which row, and how many members. */
export interface ExpiredGroup extends WaitingGroup {
  deadLettered: number;
}

/**
 * Enforces `group_timeout`: each open waiting group older than its row's
 * timeout and still incomplete (no marker in its folder, or a manifest
 * marker naming files that are not there as named) has its present
 * members' deliveries along that row recorded dead (`E_GROUP_TIMEOUT`, the
 * folder, what it waited for and the timeout named), sources kept, and is
 * marked dead in the ledger; under a complete manifest group, so have the
 * files the row's mask matches that no manifest lists. A group whose row is
 * gone or has no `complete_when` any more is forgotten (its files route as
 * the referential now says). A group complete meanwhile is left to the next
 * arrival, scan or drain.
 */
export async function expireGroups(ctx: GroupTimeoutContext): Promise<ExpiredGroup[]> {
  const expired: ExpiredGroup[] = [];
  const now = ctx.now();
  for (const group of await ctx.ledger.waiting.open()) {
    const route = ctx.referential.routes.find((r) => r.id === group.routeId && r.enabled);
    if (
      !route?.completeWhen ||
      route.sourceProject !== group.project ||
      route.sourceBucket !== group.bucket
    ) {
      await ctx.ledger.waiting.resolve(group);
      continue;
    }
    const timeoutMs = route.groupTimeoutMs ?? 0;
    if (now - group.firstSeenAt < timeoutMs) continue;
    const store = await ctx.stores.storeFor(group.project);
    const state = await groupState(store, route, await listFolder(store, group.bucket, group.folder));
    const complete = state.markers.length > 0 && state.missing.length === 0;
    // complete, every file listed: the next arrival, scan or drain carries it
    if (complete && state.unlisted.length === 0) continue;
    const manifests = state.markers.map((m) => fileNameOf(m.key)).join(', ');
    const waitedFor =
      state.markers.length === 0
        ? `a marker matching ${route.completeWhen}`
        : complete
          ? `a manifest listing ${state.unlisted.length} file(s) that ${manifests} does not list ` +
            `(${names(state.unlisted.map((f) => fileNameOf(f.key)))})`
          : `the files its manifest (${manifests}) names, of which ${state.missing.length} not there as named ` +
            `(${names(state.missing)})`;
    const reason =
      `[switchyard] group of row ${route.id} in folder "${group.folder}" of ${group.project}/${group.bucket} ` +
      `waited ${Math.round((now - group.firstSeenAt) / 1000)}s for ${waitedFor}: ` +
      `expected ${state.markers.length === 0 ? 'one' : 'them'} within group_timeout ${Math.round(timeoutMs / 1000)}s; the sources are kept`;
    let deadLettered = 0;
    // a complete group's members are carried by its marker: only the files it does not list waited
    const waited = complete ? state.unlisted : [...state.members, ...state.unlisted];
    for (const member of waited) deadLettered += await deadLetter(ctx, group, member, reason);
    if (await ctx.ledger.waiting.expire(group, now, reason)) {
      ctx.log.warn({ folder: group.folder, routeId: route.id, members: deadLettered }, 'group timed out');
      expired.push({ ...group, deadAt: now, reason, deadLettered });
    }
  }
  return expired;
}

/** The first names of a list, for a reason. */
function names(list: readonly string[]): string {
  return `${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}`;
}

/** One member's delivery along the group's row, recorded dead with the timeout's reason. */
async function deadLetter(
  ctx: GroupTimeoutContext,
  group: WaitingGroup,
  member: ObjectInfo,
  reason: string,
): Promise<number> {
  const source = { project: group.project, bucket: group.bucket, key: member.key };
  const { deliveries } = planDeliveries(ctx.referential, source, member);
  let n = 0;
  for (const d of deliveries) {
    if (d.route.id !== group.routeId && d.route.completeWhen === undefined) continue;
    const result = await recordRefused(ctx.refusals, source, member, {
      route: d.route,
      code: GROUP_TIMEOUT,
      message: `${reason} (member ${fileNameOf(member.key)})`,
      destination: d.plan.destination,
    });
    if (result.state === 'dead') n++;
  }
  return n;
}
