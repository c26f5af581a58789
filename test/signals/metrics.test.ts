import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';

describe('signal metrics', () => {
  it('counts manifests and notify messages by outcome from a drain report', async () => {
    const metrics = new Metrics({}, { defaultMetrics: false });
    metrics.signalled({
      manifests: ['a/b/_MANIFEST-x.json', 'a/c/_MANIFEST-x.json'],
      manifestFailures: 1,
      notified: 3,
      notifyFailures: 2,
    });
    metrics.signalled({ manifests: [], manifestFailures: 0, notified: 1, notifyFailures: 0 });
    const text = await metrics.text();
    expect(text).toContain('switchyard_manifests_total{outcome="written"} 2');
    expect(text).toContain('switchyard_manifests_total{outcome="failed"} 1');
    expect(text).toContain('switchyard_notify_messages_total{outcome="sent"} 4');
    expect(text).toContain('switchyard_notify_messages_total{outcome="failed"} 2');
  });
});
