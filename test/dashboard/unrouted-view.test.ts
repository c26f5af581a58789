// The dashboard says why a file is unrouted: an unmatched name, or the code
// the ledger keeps (E_KEY_ENCODING for a name that is not UTF-8).
import { describe, expect, it } from 'vitest';
import { unroutedView } from '../../src/triggers/http/dashboard/views.js';

const record = {
  source: { project: 'p', bucket: 'in', key: 'x.bin' },
  generation: 'g',
  size: 1,
  firstSeenAt: 1,
  lastSeenAt: 2,
};

describe('unrouted files on the dashboard', () => {
  it('an unmatched name says no row matches', () => {
    expect(unroutedView(record).reason).toContain('no referential row');
  });

  it('a name that is not UTF-8 says so, with its code', () => {
    const view = unroutedView({
      ...record,
      source: { ...record.source, key: 'bad\\xFF.csv' },
      reason: 'E_KEY_ENCODING',
    });
    expect(view.reason).toMatch(/^E_KEY_ENCODING: the file name is not UTF-8/);
  });
});
