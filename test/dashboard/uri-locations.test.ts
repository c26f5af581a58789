// The dashboard takes gs://BUCKET/KEY and s3://BUCKET/KEY wherever it takes
// PROJECT/BUCKET/KEY (Explain, "Route again" of an unrouted file), mapped to
// the project as the command line maps them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectEvent } from '../../src/model/event.js';
import { compileReferential, loadReferentialText } from '../../src/referential/index.js';
import { resolveLocation } from '../../src/referential/uri-location.js';
import { StoreRegistry } from '../../src/storage/registry.js';
import { retryUnrouted } from '../../src/triggers/http/dashboard/actions.js';
import { explainInput } from '../../src/triggers/http/dashboard/explain-name.js';
import { silentLogger } from '../../src/util/log.js';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
lake,landing-d1,\\.csv$,archive,raw,
`;

describe('dashboard: gs:// and s3:// locations', () => {
  let gcs: GcsJsonApiDouble;
  beforeAll(async () => {
    gcs = await startGcsJsonApiDouble();
  });
  afterAll(async () => gcs?.stop());

  function setup(): { referential: ReturnType<typeof compileReferential>; stores: StoreRegistry } {
    const referential = compileReferential(loadReferentialText(ROUTES, 'routes.csv'), 'routes.csv');
    const stores = new StoreRegistry({
      dataRoot: '/nonexistent-switchyard-data',
      projects: {
        lake: { backend: 'gcs', projectId: 'p', apiEndpoint: gcs.endpoint },
        archive: { backend: 'fs' },
      },
    });
    return { referential, stores };
  }

  it('explains gs://BUCKET/KEY as the object of the project holding the bucket', async () => {
    const { referential, stores } = setup();
    gcs.put('landing-d1', 'in/a.csv', Buffer.from('a\n'));
    const answer = await explainInput(referential, stores, 'gs://landing-d1/in/a.csv');
    expect(answer.results).toHaveLength(1);
    expect(answer.results[0]).toMatchObject({
      source: 'lake/landing-d1/in/a.csv',
      exists: true,
      matches: [expect.objectContaining({ destination: 'archive/raw/a.csv' })],
    });
    await expect(explainInput(referential, stores, 'gs://elsewhere/a.csv')).rejects.toMatchObject({
      code: 'E_BUCKET_UNKNOWN',
    });
  });

  it('routes an unrouted gs://BUCKET/KEY again under its project', async () => {
    const { referential, stores } = setup();
    const seen: ObjectEvent[] = [];
    const sink = async (event: ObjectEvent) => {
      seen.push(event);
      return { outcome: 'routed' as const };
    };
    const resolve = (text: string) => resolveLocation(text, referential, stores.projects);
    const answer = await retryUnrouted(sink as never, 'gs://landing-d1/in/b.csv', silentLogger(), resolve);
    expect(answer.outcome).toBe('routed');
    expect(seen).toMatchObject([{ project: 'lake', bucket: 'landing-d1', key: 'in/b.csv' }]);
    await expect(
      retryUnrouted(sink as never, 's3://landing-d1/x.csv', silentLogger(), resolve),
    ).rejects.toMatchObject({ code: 'E_BUCKET_UNKNOWN' });
  });
});
