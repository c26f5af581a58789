import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../helpers/workspace.js';
import { CSV, fixture } from '../http/harness.js';
import { cloudWorkspace, holdDelivery } from './env.js';

describe('Cloud Functions entry point (functions-framework local server)', () => {
  let ws: Workspace;
  let server: Server;
  let url: string;
  let closeRuntime: () => Promise<void>;

  beforeAll(async () => {
    ws = await cloudWorkspace();
    const gcp = await import('../../src/triggers/cloud/gcp.js');
    closeRuntime = gcp.closeGcpRuntime;
    const { getTestServer } = await import('@google-cloud/functions-framework/testing');
    server = getTestServer(gcp.GCP_ENTRY_POINT);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await closeRuntime?.();
    await ws?.remove();
  });

  const send = async (headers: Record<string, string>, payload: unknown) => {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(payload) });
    const text = await response.text();
    let body: { kind?: string; events?: Array<{ outcome: string }>; error?: { code: string } } | undefined;
    try {
      body = text ? (JSON.parse(text) as typeof body) : undefined;
    } catch {
      body = undefined; // a crash answer is plain text
    }
    return { status: response.status, body, text };
  };

  it('routes a binary-mode Cloud Storage CloudEvent', async () => {
    await ws.put('source_bucket/raw_data/finance_2024-01.csv', CSV);
    const f = await fixture<{ headers: Record<string, string>; body: unknown }>('gcs-cloudevent-binary.json');
    const answer = await send(f.headers, f.body);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body?.events?.[0]?.outcome).toBe('routed');
    expect((await ws.read('finance/raw_data/finance_2024-01.csv')).toString()).toBe(CSV);
    expect(await ws.exists('source_bucket/raw_data/finance_2024-01.csv')).toBe(false);
  });

  it('routes a structured-mode Cloud Storage CloudEvent; the same event again is a duplicate, not a second copy', async () => {
    await ws.put('source_bucket/raw_data/emea/q1/finance report 2024.csv', CSV);
    const f = await fixture('gcs-cloudevent-structured.json');
    const first = await send({ 'content-type': 'application/cloudevents+json' }, f);
    expect(first.status, first.text).toBe(200);
    expect(first.body?.events?.[0]?.outcome).toBe('routed');
    const again = await send({ 'content-type': 'application/cloudevents+json' }, f);
    expect(again.status).toBe(200);
    expect(['duplicate', 'gone']).toContain(again.body?.events?.[0]?.outcome);
    expect(await ws.files()).toContain('finance/raw_data/finance report 2024.csv');
  });

  it('routes an Eventarc Pub/Sub CloudEvent carrying a GCS notification', async () => {
    await ws.put('source_bucket/raw_data/finance_2024-03.csv', CSV);
    const answer = await send(
      { 'content-type': 'application/cloudevents+json' },
      await fixture('eventarc-pubsub-gcs.json'),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(await ws.exists('finance/raw_data/finance_2024-03.csv')).toBe(true);
  });

  it('acknowledges (2xx, not retried) a malformed event and an unsafe key, moving nothing', async () => {
    const malformed = await send(
      { 'content-type': 'application/cloudevents+json' },
      {
        specversion: '1.0',
        id: 'x',
        source: '//storage.googleapis.com/projects/_/buckets/raw_data',
        type: 'google.cloud.storage.object.v1.finalized',
        data: { name: 42 },
      },
    );
    expect(malformed.status).toBe(200);
    expect(malformed.body).toMatchObject({ kind: 'invalid', error: { code: 'E_EVENT_INVALID' } });
    const unsafe = await send(
      { 'content-type': 'application/cloudevents+json' },
      {
        specversion: '1.0',
        id: 'y',
        source: '//storage.googleapis.com/projects/_/buckets/raw_data',
        type: 'google.cloud.storage.object.v1.finalized',
        subject: 'objects/../finance.csv',
        data: { bucket: 'raw_data', name: '../finance.csv' },
      },
    );
    expect(unsafe.status).toBe(200);
    expect(unsafe.body?.kind).toBe('rejected');
  });

  it('answers 500 (so Eventarc retries) while another worker holds the delivery, then routes on the retry', async () => {
    await ws.put('source_bucket/raw_data/finance_2024-02.csv', CSV);
    const release = await holdDelivery(ws, 'finance_2024-02.csv', 'finance', 'row-1');
    const event = {
      specversion: '1.0',
      id: 'busy-1',
      source: '//storage.googleapis.com/projects/_/buckets/raw_data',
      type: 'google.cloud.storage.object.v1.finalized',
      subject: 'objects/finance_2024-02.csv',
      data: { bucket: 'raw_data', name: 'finance_2024-02.csv', generation: '5' },
    };
    const busy = await send({ 'content-type': 'application/cloudevents+json' }, event);
    expect(busy.status).toBe(500);
    expect(await ws.exists('source_bucket/raw_data/finance_2024-02.csv')).toBe(true);
    await release();
    const retried = await send({ 'content-type': 'application/cloudevents+json' }, event);
    expect(retried.status, retried.text).toBe(200);
    expect(await ws.exists('finance/raw_data/finance_2024-02.csv')).toBe(true);
  });
});
