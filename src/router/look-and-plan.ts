import type { Referential } from '../referential/types.js';
import type { Location, ObjectInfo, ObjectStore } from '../storage/types.js';
import { GroupRouter } from './group.js';
import { planDeliveries } from './plan.js';

/**
 * The source as it stands and what the referential makes of it, or undefined
 * when it is gone. `listed`, the scan's listing of it, stands for the look
 * where the store's listing says what a look would, for a file it delivers:
 * every step of a delivery is conditional on that generation (a rename or
 * copy pinned to it, a deletion that checks it), so a file written again or
 * removed since its listing ends that generation's delivery as superseded,
 * as a change after a look does (deliver.ts). A file the router would record
 * as it stands without delivering it (unrouted, refused by a row, a group's
 * member) is looked at first.
 */
export async function lookAndPlan(
  referential: Referential,
  store: ObjectStore,
  source: Location,
  { member, listed }: { member: boolean; listed: ObjectInfo | undefined },
) {
  const plan = (object: ObjectInfo) => {
    const { deliveries, refused } = planDeliveries(referential, source, object);
    const groupRows = member ? [] : GroupRouter.rowsFor(referential, source, deliveries, refused.length);
    return { object, deliveries, refused, groupRows };
  };
  const asLook =
    listed?.bucket === source.bucket && listed.key === source.key && store.capabilities.listingAsLook;
  if (asLook) {
    const planned = plan(listed);
    if (planned.deliveries.length > 0 && planned.refused.length === 0 && planned.groupRows.length === 0)
      return planned;
  }
  const object = await store.stat(source.bucket, source.key);
  return object ? plan(object) : undefined;
}
