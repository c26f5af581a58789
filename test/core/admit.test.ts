import { describe, expect, it } from 'vitest';
import { compileReferential, loadReferentialText } from '../../src/referential/index.js';
import { admitEvent } from '../../src/router/admit.js';
import { routerFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
land,in,\\.csv$,finance,raw,
alpha,shared,\\.csv$,finance,raw,from-alpha
beta,shared,\\.csv$,sales,raw,from-beta
`;
const referential = compileReferential(loadReferentialText(ROUTES, 'routes.csv'), 'routes.csv');

describe('admitEvent: the one admission of the router and the intake', () => {
  it('admits a safe key with the project of its bucket, or the one the event names', () => {
    expect(admitEvent({ origin: 's3', bucket: 'in', key: 'a.csv' }, referential)).toEqual({
      kind: 'admitted',
      event: { origin: 's3', bucket: 'in', key: 'a.csv', project: 'land' },
      source: { project: 'land', bucket: 'in', key: 'a.csv' },
    });
    expect(
      admitEvent({ origin: 's3', project: 'beta', bucket: 'shared', key: 'a.csv' }, referential),
    ).toMatchObject({
      kind: 'admitted',
      source: { project: 'beta' },
    });
  });

  it('refuses a bucket no row uses or several projects share', () => {
    expect(admitEvent({ origin: 's3', bucket: 'nobody', key: 'a.csv' }, referential)).toMatchObject({
      kind: 'refused',
      error: { code: 'E_BUCKET_UNKNOWN' },
    });
    expect(admitEvent({ origin: 's3', bucket: 'shared', key: 'a.csv' }, referential)).toMatchObject({
      kind: 'refused',
      error: { code: 'E_BUCKET_AMBIGUOUS', details: { candidates: ['alpha', 'beta'] } },
    });
  });

  it('refuses an unsafe key whatever its bucket, keeping the source when its project is known', () => {
    const known = admitEvent({ origin: 's3', bucket: 'in', key: '../escape.csv' }, referential);
    expect(known).toMatchObject({
      kind: 'unsafe',
      error: { code: 'E_KEY_UNSAFE' },
      source: { project: 'land' },
    });
    const unknown = admitEvent({ origin: 's3', bucket: '../nobody', key: 'a.csv' }, referential);
    expect(unknown).toMatchObject({ kind: 'unsafe', error: { code: 'E_KEY_UNSAFE' } });
    expect(unknown).not.toHaveProperty('source');
  });

  it('the router answers an unsafe key dead with E_KEY_UNSAFE, recorded when its project is known', async () => {
    const f = await routerFixture(ROUTES);
    try {
      const recorded = await f.ctx.router.route({ origin: 's3', bucket: 'in', key: '../escape.csv' });
      expect(recorded).toMatchObject({ outcome: 'dead', error: { code: 'E_KEY_UNSAFE' } });
      const page = await f.ctx.reports.query({ states: ['dead'] });
      expect(page.items.map((d) => d.errorCode)).toContain('E_KEY_UNSAFE');
      const unknown = await f.ctx.router.route({ origin: 's3', bucket: '../nobody', key: 'a.csv' });
      expect(unknown).toMatchObject({ outcome: 'dead', error: { code: 'E_KEY_UNSAFE' } });
    } finally {
      await f.close();
    }
  });
});
