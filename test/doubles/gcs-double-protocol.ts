/**
 * TEST DOUBLE support: the wire format pieces of the GCS JSON API double
 * (object resources, JSON errors, multipart/related upload bodies).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StoredBody } from './gcs-double-bodies.js';

/** Writable object fields of the JSON API resource this double keeps. */
export interface Resource {
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  storageClass?: string;
  metadata?: Record<string, string>;
}

/** An object as the double keeps it: resource fields, generation, and a file-backed body. */
export interface StoredObject extends Resource {
  bucket: string;
  name: string;
  body: StoredBody;
  generation: string;
  metageneration: string;
  timeCreated: string;
  updated: string;
  composite: boolean;
}

export class GcsFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export async function readSmallBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

export function resourceOf(json: Record<string, unknown>): Resource {
  const out: Resource = {};
  for (const field of ['contentType', 'contentEncoding', 'cacheControl', 'storageClass'] as const) {
    if (typeof json[field] === 'string') out[field] = json[field];
  }
  if (json['metadata'] && typeof json['metadata'] === 'object') {
    const entries = Object.entries(json['metadata'] as Record<string, unknown>).filter(([, v]) => v !== null);
    out.metadata = Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
  }
  return out;
}

export function parseMultipart(
  body: Buffer,
  contentType: string,
): { json: Record<string, unknown>; media: Buffer } {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new GcsFailure(400, 'invalid multipart boundary');
  const firstHead = body.indexOf('\r\n\r\n', body.indexOf(`--${boundary}`));
  const second = body.indexOf(`\r\n--${boundary}\r\n`, firstHead);
  const mediaStart = body.indexOf('\r\n\r\n', second + 2) + 4;
  const mediaEnd = body.lastIndexOf(`\r\n--${boundary}--`);
  if (firstHead < 0 || second < 0 || mediaEnd < mediaStart)
    throw new GcsFailure(400, 'malformed multipart body');
  const json = JSON.parse(body.subarray(firstHead + 4, second).toString('utf8')) as Record<string, unknown>;
  return { json, media: body.subarray(mediaStart, mediaEnd) };
}

/** The JSON API object resource. */
export function objectJson(o: StoredObject, endpoint: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(o.bucket)}/o/${encodeURIComponent(o.name)}`;
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${endpoint}/storage/v1/${path}`,
    mediaLink: `${endpoint}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    storageClass: o.storageClass,
    size: String(o.body.size),
    crc32c: o.body.crc32c,
    ...(o.composite ? { componentCount: 2 } : { md5Hash: o.body.md5 }),
    etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64'),
    timeCreated: o.timeCreated,
    updated: o.updated,
    ...(o.contentType ? { contentType: o.contentType } : {}),
    ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
    ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
    ...(o.metadata && Object.keys(o.metadata).length > 0 ? { metadata: o.metadata } : {}),
  };
}
