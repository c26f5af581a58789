import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';
import { openDashboardBed, SAMPLES, type DashboardBed } from './fixture.js';

const SECRET = 'tok-4f9d2c81e7b3a6055d1e-secret';

/**
 * `switchyard serve` logs (pino JSON for Cloud Logging): every line has a
 * `severity`; a delivery's lines carry its id; the token never appears,
 * whether it arrives in a header, sits in the config, or is logged by mistake.
 */
describe('serve logs', () => {
  const lines: string[] = [];
  let bed: DashboardBed;

  beforeAll(async () => {
    const logger = createLogger({
      level: 'trace',
      destination: { write: (line: string) => void lines.push(line) },
    });
    bed = await openDashboardBed({ logger, token: SECRET });
    await bed.routeSamples();
    const bearer = { authorization: `Bearer ${SECRET}` };
    await fetch(`${bed.url}/events`, { method: 'POST', headers: bearer, body: '{"not": "a notification"}' });
    await fetch(`${bed.url}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}x` },
      body: '{}',
    });
    await fetch(`${bed.url}/events`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}` },
      body: '[',
    });
    await fetch(`${bed.url}/api/summary`, { headers: bearer });
    const dead = (await bed.ctx.reports.query({ states: ['dead'] })).items[0]!;
    await fetch(`${bed.url}/api/deliveries/${dead.id}/retry`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: '{}',
    });
    logger.info(
      { token: SECRET, request: { headers: { authorization: `Bearer ${SECRET}` } }, config: bed.config },
      'careless line',
    );
    logger.flush();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('never writes the token, in any form', () => {
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(`u:${SECRET}`).toString('base64'));
    expect(all).toContain('careless line');
    expect(all).toContain('[redacted]');
  });

  it('writes JSON lines with a Cloud Logging severity, and the delivery id on every line about a delivery', async () => {
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const entry of entries)
      expect(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).toContain(entry.severity);
    const [record] = await bed.ctx.ledger.forGeneration(
      { project: 'shop', bucket: 'landing', key: SAMPLES.conflict.split('/').slice(2).join('/') },
      (await bed.ctx.reports.query({ search: 'fin_q2' })).items[0]!.generation,
    );
    const about = entries.filter(
      (e) => JSON.stringify(e).includes(record!.id) || e.source === SAMPLES.conflict,
    );
    expect(about.length).toBeGreaterThanOrEqual(2);
    for (const entry of about) expect(entry.delivery, JSON.stringify(entry)).toBe(record!.id);
    for (const entry of entries.filter((e) => /\bdelivery\b/.test(String(e.message))))
      expect(entry.delivery, JSON.stringify(entry)).toEqual(expect.any(String));
  });
});
