import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_FOLDERS, CSV, openBed, TOKEN, walk, type Bed } from './harness.js';
import { CORPUS, LIMIT, s3, type Row } from './hostile-corpus.js';

async function send(
  url: string,
  row: Row,
): Promise<{ status: number; json: { error?: { code: string }; outcome?: string } }> {
  const body =
    typeof row.body === 'string' || Buffer.isBuffer(row.body) ? row.body : JSON.stringify(row.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${TOKEN}`,
    ...row.headers,
  };
  if (headers.authorization === '') delete headers.authorization;
  if (!row.chunked) headers['content-length'] = String(Buffer.byteLength(body));
  const target = new URL(`${url}${row.path ?? '/events'}`);
  return new Promise((resolve, reject) => {
    const req = request(target, { method: row.method ?? 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as { error?: { code: string } } });
        } catch {
          reject(new Error(`${row.name}: answer ${res.statusCode} is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    if (row.method === 'GET') return req.end();
    if (row.chunked) {
      const chunk = 16 * 1024;
      for (let i = 0; i < body.length; i += chunk)
        req.write(typeof body === 'string' ? body.slice(i, i + chunk) : body.subarray(i, i + chunk));
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('a corpus of malformed and hostile requests', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await openBed({ bodyLimit: LIMIT });
    // Files the hostile events name, so a wrongly accepted event would have something to move.
    for (const key of ['finance.csv', 'finance_x.csv', 'finance_eb.csv', 'finance_deep.csv'])
      await bed.ws.put(`source_bucket/raw_data/${key}`, CSV);
    await bed.ws.put('alpha/shared/x.csv', CSV);
  });
  afterAll(async () => bed?.close());

  it('has at least 30 rows', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  for (const row of CORPUS) {
    it(`${row.name} → ${row.status}${row.code ? ` ${row.code}` : ''}`, async () => {
      const answer = await send(bed.url, row);
      expect(answer.status, JSON.stringify(answer.json)).toBe(row.status);
      if (row.code) expect(answer.json.error?.code).toBe(row.code);
      else expect(answer.json.error).toBeUndefined();
      if (row.outcome) expect(answer.json.outcome).toBe(row.outcome);
    });
  }

  it('names the candidate projects of an ambiguous bucket', async () => {
    const answer = await send(
      bed.url,
      CORPUS.find((r) => r.name.includes('two projects share'))!,
    );
    expect(answer.json.error).toMatchObject({
      code: 'E_BUCKET_AMBIGUOUS',
      details: { candidates: ['alpha', 'beta'] },
    });
  });

  it('records an unsafe key dead in the ledger (never retried)', async () => {
    const page = await bed.ctx.reports.query({ states: ['dead'] });
    expect(page.items.some((d) => d.errorCode === 'E_KEY_UNSAFE')).toBe(true);
  });

  it('keeps serving after the corpus: a normal event routes, and nothing is written outside a bucket folder', async () => {
    await bed.ws.put('source_bucket/raw_data/finance_after.csv', CSV);
    const ok = await send(bed.url, { name: 'normal', body: s3('finance_after.csv'), status: 200 });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json.outcome).toBe('routed');
    expect(await bed.ws.exists('finance/raw_data/finance_after.csv')).toBe(true);

    const files = await walk(bed.ws.data);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files)
      expect(
        BUCKET_FOLDERS.some((folder) => file.startsWith(folder)),
        file,
      ).toBe(true);
    const outside = (await walk(bed.ws.dir)).filter(
      (f) => !f.startsWith('data/') && !f.startsWith('.switchyard/'),
    );
    expect(outside).toEqual(['routes.csv']);
  });
});
