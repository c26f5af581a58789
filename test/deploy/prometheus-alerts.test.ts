// deploy/prometheus/alerts.yml and the README's "Metrics" table against the
// metrics switchyard really registers: an alert on a misspelt or renamed
// metric never fires, so every name an expression uses must exist; every
// metric must be documented, and nothing documented may be missing.
// Prometheus' promtool checks the file and plays deploy/prometheus/alerts.test.yml
// (required in CI, which installs it; skipped with the reason elsewhere).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { routerSink } from '../../src/intake/sink.js';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import { referentialOf } from '../../src/referential/referential.js';
import { ReferentialSource } from '../../src/referential/source.js';
import type { Router } from '../../src/router/router.js';
import { createReceiverApp } from '../../src/triggers/http/receiver.js';
import { requireService } from '../helpers/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ALERTS = path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

function rules(): Rule[] {
  const file = parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return file.groups.flatMap((g) => g.rules);
}

/** The switchyard_… names an expression uses. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bswitchyard_[a-zA-Z0-9_]+\b/g)].map((m) => m[0]);
}

/** Every metric `serve --mode batch` exposes (event mode exposes these less the queue's), by name and type. */
async function registered(): Promise<Map<string, string>> {
  const queue = new MemoryQueue();
  const metrics = new Metrics({
    reports: createMemoryLedger().reports,
    queue,
    referential: ReferentialSource.fixed(referentialOf([], 'routes.csv')),
  });
  const router = { referential: referentialOf([], 'routes.csv') } as unknown as Router;
  createReceiverApp({ sink: routerSink(router), router, metrics });
  const all = await metrics.registry.getMetricsAsJSON();
  await queue.close();
  return new Map(all.map((m) => [m.name, String(m.type)]));
}

/** The names a scrape shows for a metric: a histogram's `_bucket`, `_sum` and `_count` too. */
function exposedNames(metrics: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of metrics) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

describe('deploy/prometheus/alerts.yml', () => {
  it('alerts on stuck dead letters, no successful drain, unrouted files rising', () => {
    const byMetric = (name: string) => rules().filter((r) => r.alert && metricNames(r.expr).includes(name));
    expect(byMetric('switchyard_dead_deliveries')).not.toHaveLength(0);
    expect(byMetric('switchyard_last_successful_drain_timestamp_seconds')).not.toHaveLength(0);
    expect(byMetric('switchyard_unrouted_files')).not.toHaveLength(0);
  });

  it('names only metrics switchyard registers', async () => {
    const exposed = exposedNames(await registered());
    for (const rule of rules()) {
      const names = metricNames(rule.expr);
      expect(names.length, `${rule.alert}: ${rule.expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${rule.alert} uses ${name}`).toBe(true);
    }
  });
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (
  requireService(
    'promtool',
    !promtool.error,
    `promtool not installed (apt-get install prometheus): ${promtool.error?.message}`,
  )
) {
  describe('deploy/prometheus/alerts.yml under promtool', () => {
    it('passes promtool check rules', () => {
      const run = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    });

    it('fires in the cases alerts.test.yml plays, and only then (promtool test rules)', () => {
      const run = spawnSync('promtool', ['test', 'rules', ALERTS.replace(/\.yml$/, '.test.yml')], {
        encoding: 'utf8',
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('SUCCESS');
    });
  });
}

describe("README's Metrics table", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('### Logs'));
  const documented = [...section.matchAll(/^\| `(switchyard_[a-z0-9_*]+)` \|/gm)].map((m) => m[1]!);
  const wildcards = documented.filter((d) => d.endsWith('*')).map((d) => d.slice(0, -1));

  it('documents every metric switchyard registers, and no other', async () => {
    const metrics = await registered();
    const exact = new Set(documented.filter((d) => !d.endsWith('*')));
    for (const name of metrics.keys()) {
      const covered = exact.has(name) || wildcards.some((prefix) => name.startsWith(prefix));
      expect(covered, `${name} is documented`).toBe(true);
    }
    for (const name of exact) expect(metrics.has(name), `${name} exists`).toBe(true);
    for (const prefix of wildcards)
      expect(
        [...metrics.keys()].some((n) => n.startsWith(prefix)),
        `${prefix}* exists`,
      ).toBe(true);
    expect([...metrics.keys()].filter((n) => n.includes('process_process'))).toEqual([]);
  });
});
