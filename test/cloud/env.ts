import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeliveryPlan } from '../../src/ledger/types.js';
import { deliveryId } from '../../src/ledger/delivery-id.js';
import { openLedger } from '../../src/ledger/url.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { Workspace } from '../helpers/workspace.js';
import { TEST_ROUTES } from '../http/harness.js';

/** The projects of TEST_ROUTES: a cloud entry point routes only between declared ones. */
export const TEST_PROJECTS = ['source_bucket', 'finance', 'sales', 'landing', 'alpha', 'beta'];

/** switchyard.yaml declaring `projects` as local folders under the data root (`backend: fs`, no root). */
export function folderProjectsYaml(projects: readonly string[]): string {
  return `concurrency: 4\nprojects:\n${projects.map((p) => `  ${p}: { backend: fs }\n`).join('')}`;
}

/**
 * A temp data root + SQLite ledger for the cloud entry points, configured the
 * way a deployment is: through SWITCHYARD_* environment variables (set in
 * `process.env`, which the entry points read on their first invocation).
 */
export async function cloudWorkspace(
  routes: string = TEST_ROUTES,
  projects: readonly string[] = TEST_PROJECTS,
): Promise<Workspace> {
  const ws = await Workspace.create(routes);
  await writeFile(path.join(ws.dir, 'switchyard.yaml'), folderProjectsYaml(projects));
  process.env.SWITCHYARD_CONFIG = path.join(ws.dir, 'switchyard.yaml');
  process.env.SWITCHYARD_ROUTES = path.join(ws.dir, 'routes.csv');
  process.env.SWITCHYARD_DATA = ws.data;
  process.env.SWITCHYARD_STATE = path.join(ws.dir, '.switchyard');
  // The SQLite ledger (not the cloud default, memory:) so holdDelivery can claim in it as another instance.
  process.env.SWITCHYARD_LEDGER = `sqlite:${path.join(ws.dir, '.switchyard', 'ledger.db')}`;
  process.env.SWITCHYARD_LOG_LEVEL = 'silent';
  return ws;
}

/** Claims the delivery of `source_bucket/raw_data/<key>` as another worker would; returns its release. */
export async function holdDelivery(
  ws: Workspace,
  key: string,
  destinationProject: string,
  routeId: string,
): Promise<() => Promise<void>> {
  const store = await openLedger(undefined, { stateDir: path.join(ws.dir, '.switchyard') });
  const { ledger } = store;
  const info = await new FsStore({ root: path.join(ws.data, 'source_bucket') }).stat('raw_data', key);
  if (!info) throw new Error(`no source_bucket/raw_data/${key}`);
  const source = { project: 'source_bucket', bucket: 'raw_data', key };
  const plan: DeliveryPlan = {
    id: deliveryId(source, info.generation, routeId),
    source,
    generation: info.generation,
    routeId,
    destination: { project: destinationProject, bucket: 'raw_data', key },
    action: 'move',
    size: info.size,
  };
  const claim = await ledger.claim(plan, 'another-worker', 60_000);
  if (claim.status !== 'claimed') throw new Error(`could not claim: ${claim.status}`);
  return async () => {
    await ledger.release(plan.id, 'another-worker');
    await store.close();
  };
}
