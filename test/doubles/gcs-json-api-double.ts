/**
 * TEST DOUBLE — not a GCS emulator.
 *
 * A node:http server implementing only the Cloud Storage JSON API calls the
 * GCS backend makes: objects.get (metadata and `alt=media`), objects.insert
 * (`uploadType=media`, `multipart`, and resumable sessions), objects.rewrite
 * (multi-call: objects above `rewriteChunkBytes` answer `done: false` with a
 * `rewriteToken` until copied), objects.delete and objects.list (pageToken).
 * It keeps generations and metageneration, computes crc32c/md5Hash, enforces
 * `ifGenerationMatch` / `ifSourceGenerationMatch` (412) and answers 404 for
 * missing objects. Buckets exist implicitly; no versioning, no auth, no ACLs,
 * no compose (a composite object can be seeded with `put`). gzip-stored
 * objects are served as stored to clients that accept gzip and decompressed
 * (transcoded, as GCS does) for those that do not. Bodies live in temp files.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BodyStore, type BodyWriter, type StoredBody } from './gcs-double-bodies.js';
import {
  GcsFailure,
  objectJson,
  parseMultipart,
  readSmallBody,
  resourceOf,
  sendJson,
  type Resource,
  type StoredObject,
} from './gcs-double-protocol.js';

export type { Resource } from './gcs-double-protocol.js';

export interface GcsDoubleObject extends Omit<StoredObject, 'body'> {
  body: Buffer;
  crc32c: string;
  md5Hash?: string;
}

export interface GcsJsonApiDouble {
  /** Pass as `apiEndpoint`. */
  endpoint: string;
  /** Requests per operation, e.g. `objects.rewrite`, `objects.insert.resumable`. */
  calls: Record<string, number>;
  /** Rewrite calls answered `done: false`. */
  readonly rewritesInProgress: number;
  put(
    bucket: string,
    name: string,
    body: Buffer,
    resource?: Resource & { composite?: boolean },
  ): GcsDoubleObject;
  get(bucket: string, name: string): GcsDoubleObject | undefined;
  /** Drops objects, sessions, rewrites and counters (buckets stay implicit). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

interface RewriteJob {
  source: StoredObject;
  bucket: string;
  name: string;
  resource: Resource | undefined;
  ifGenerationMatch: string | null;
  done: number;
}

interface Session {
  bucket: string;
  name: string;
  resource: Resource;
  ifGenerationMatch: string | null;
  writer: BodyWriter;
}

export async function startGcsJsonApiDouble(
  options: { rewriteChunkBytes?: number } = {},
): Promise<GcsJsonApiDouble> {
  const rewriteChunkBytes = options.rewriteChunkBytes ?? 1024 * 1024;
  const bodies = await BodyStore.create();
  const objects = new Map<string, StoredObject>();
  const rewrites = new Map<string, RewriteJob>();
  const sessions = new Map<string, Session>();
  const calls: Record<string, number> = {};
  const state = { rewritesInProgress: 0, lastGeneration: Date.now() * 1000 };
  let endpoint = '';

  const id = (bucket: string, name: string) => `${bucket}\u0000${name}`;
  const count = (operation: string) => (calls[operation] = (calls[operation] ?? 0) + 1);
  const find = (bucket: string, name: string) => objects.get(id(bucket, name));

  function check(current: StoredObject | undefined, expected: string | null): void {
    if (expected === null) return;
    if (expected === '0' ? current !== undefined : current?.generation !== expected)
      throw new GcsFailure(412, 'conditionNotMet');
  }

  function commit(
    bucket: string,
    name: string,
    body: StoredBody,
    resource: Resource,
    composite = false,
  ): StoredObject {
    const now = new Date().toISOString();
    const object: StoredObject = {
      storageClass: 'STANDARD',
      ...resource,
      metadata: { ...resource.metadata },
      bucket,
      name,
      body,
      generation: String(++state.lastGeneration),
      metageneration: '1',
      timeCreated: now,
      updated: now,
      composite,
    };
    objects.set(id(bucket, name), object);
    return object;
  }

  const toJson = (o: StoredObject) => objectJson(o, endpoint);

  async function getObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    name: string,
    q: URLSearchParams,
  ) {
    const object = find(bucket, name);
    const generation = q.get('generation');
    if (!object || (generation !== null && generation !== object.generation))
      throw new GcsFailure(404, 'notFound');
    check(object, q.get('ifGenerationMatch'));
    if (q.get('alt') !== 'media') return sendJson(res, 200, toJson(object));
    const stored = object.contentEncoding === 'gzip' ? 'gzip' : 'identity';
    const transcode = stored === 'gzip' && !/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, {
      'content-type': object.contentType ?? 'application/octet-stream',
      ...(transcode ? {} : { 'content-length': object.body.size }),
      'x-goog-generation': object.generation,
      'x-goog-metageneration': object.metageneration,
      'x-goog-stored-content-encoding': stored,
      'x-goog-stored-content-length': object.body.size,
      'x-goog-hash': `crc32c=${object.body.crc32c}${object.composite ? '' : `,md5=${object.body.md5}`}`,
      ...(stored === 'gzip' && !transcode ? { 'content-encoding': 'gzip' } : {}),
    });
    const media = bodies.read(object.body);
    await (transcode ? pipeline(media, createGunzip(), res) : pipeline(media, res));
  }

  function list(res: ServerResponse, bucket: string, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(Number(q.get('maxResults') ?? 1000) || 1000, 1000);
    const token = q.get('pageToken');
    const after = token ? Buffer.from(token, 'base64url') : undefined;
    const matching = [...objects.values()]
      .filter((o) => o.bucket === bucket && o.name.startsWith(prefix))
      .map((o) => ({ o, key: Buffer.from(o.name) }))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .filter(({ key }) => after === undefined || Buffer.compare(key, after) > 0);
    const page = matching.slice(0, max);
    const last = page[page.length - 1];
    sendJson(res, 200, {
      kind: 'storage#objects',
      items: page.map(({ o }) => toJson(o)),
      ...(matching.length > max && last ? { nextPageToken: last.key.toString('base64url') } : {}),
    });
  }

  async function insert(req: IncomingMessage, res: ServerResponse, bucket: string, q: URLSearchParams) {
    const uploadType = q.get('uploadType');
    count(`objects.insert.${uploadType}`);
    const ifGenerationMatch = q.get('ifGenerationMatch');
    if (uploadType === 'resumable') {
      const text = (await readSmallBody(req)).toString('utf8');
      const resource = text ? resourceOf(JSON.parse(text) as Record<string, unknown>) : {};
      const contentType = req.headers['x-upload-content-type'];
      if (typeof contentType === 'string') resource.contentType = contentType;
      const name = q.get('name') ?? '';
      check(find(bucket, name), ifGenerationMatch);
      const uploadId = randomUUID();
      sessions.set(uploadId, { bucket, name, resource, ifGenerationMatch, writer: bodies.writer() });
      const location = `${endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${uploadId}`;
      res.writeHead(200, { location }).end();
      return;
    }
    if (uploadType !== 'multipart' && uploadType !== 'media')
      throw new GcsFailure(400, `unsupported uploadType ${uploadType}`);
    const body = await readSmallBody(req);
    const parsed =
      uploadType === 'multipart'
        ? parseMultipart(body, String(req.headers['content-type'] ?? ''))
        : undefined;
    const name = typeof parsed?.json['name'] === 'string' ? parsed.json['name'] : (q.get('name') ?? '');
    check(find(bucket, name), ifGenerationMatch);
    const stored = bodies.fromBuffer(Buffer.from(parsed?.media ?? body));
    sendJson(res, 200, toJson(commit(bucket, name, stored, parsed ? resourceOf(parsed.json) : {})));
  }

  async function resumablePut(req: IncomingMessage, res: ServerResponse, uploadId: string) {
    count('objects.insert.resumable.put');
    const session = sessions.get(uploadId);
    if (!session) throw new GcsFailure(404, 'upload session not found');
    const range = String(req.headers['content-range'] ?? '');
    const status = /^bytes \*\/(\*|\d+)$/.exec(range);
    const chunk = /^bytes (\d+)-(\d+|\*)\/(\*|\d+)$/.exec(range);
    if (!status && !chunk) throw new GcsFailure(400, `bad Content-Range ${range}`);
    if (chunk) {
      if (Number(chunk[1]) !== session.writer.size) throw new GcsFailure(400, 'non-contiguous chunk');
      await session.writer.append(req);
    } else {
      req.resume();
    }
    const received = session.writer.size;
    const total = status ? status[1] : chunk?.[3];
    const final = chunk?.[2] === '*' || (total !== '*' && Number(total) === received);
    if (!final) {
      res.writeHead(308, received > 0 ? { range: `bytes=0-${received - 1}` } : {}).end();
      return;
    }
    sessions.delete(uploadId);
    check(find(session.bucket, session.name), session.ifGenerationMatch);
    sendJson(
      res,
      200,
      toJson(commit(session.bucket, session.name, session.writer.finish(), session.resource)),
    );
  }

  async function rewrite(
    req: IncomingMessage,
    res: ServerResponse,
    src: [string, string],
    dst: [string, string],
    q: URLSearchParams,
  ) {
    count('objects.rewrite');
    const text = (await readSmallBody(req)).toString('utf8');
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const [dstBucket, dstName] = dst;
    const token = q.get('rewriteToken');
    let job: RewriteJob | undefined;
    if (token) {
      job = rewrites.get(token);
      if (!job || job.bucket !== dstBucket || job.name !== dstName)
        throw new GcsFailure(400, 'invalid rewriteToken');
      const again = q.get('ifGenerationMatch');
      if (again !== null && again !== job.ifGenerationMatch)
        throw new GcsFailure(400, 'parameters differ from the first call');
      rewrites.delete(token);
    } else {
      const source = find(...src);
      const sourceGeneration = q.get('sourceGeneration');
      if (!source || (sourceGeneration !== null && sourceGeneration !== source.generation))
        throw new GcsFailure(404, 'notFound');
      check(source, q.get('ifSourceGenerationMatch'));
      check(find(dstBucket, dstName), q.get('ifGenerationMatch'));
      const resource = Object.keys(json).length > 0 ? resourceOf(json) : undefined;
      job = {
        source,
        bucket: dstBucket,
        name: dstName,
        resource,
        ifGenerationMatch: q.get('ifGenerationMatch'),
        done: 0,
      };
    }
    const size = job.source.body.size;
    job.done = Math.min(
      size,
      job.done + (Number(q.get('maxBytesRewrittenPerCall') ?? 0) || rewriteChunkBytes),
    );
    if (size > rewriteChunkBytes && job.done < size) {
      const next = randomUUID();
      rewrites.set(next, job);
      state.rewritesInProgress++;
      const progress = { totalBytesRewritten: String(job.done), objectSize: String(size) };
      return sendJson(res, 200, {
        kind: 'storage#rewriteResponse',
        ...progress,
        done: false,
        rewriteToken: next,
      });
    }
    check(find(dstBucket, dstName), job.ifGenerationMatch);
    const { source } = job;
    const resource: Resource = job.resource ?? {
      ...(source.contentType ? { contentType: source.contentType } : {}),
      ...(source.contentEncoding ? { contentEncoding: source.contentEncoding } : {}),
      ...(source.cacheControl ? { cacheControl: source.cacheControl } : {}),
      ...(source.metadata ? { metadata: source.metadata } : {}),
    };
    const object = commit(dstBucket, dstName, await bodies.copy(source.body), resource, source.composite);
    const progress = { totalBytesRewritten: String(size), objectSize: String(size) };
    sendJson(res, 200, {
      kind: 'storage#rewriteResponse',
      ...progress,
      done: true,
      resource: toJson(object),
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const q = url.searchParams;
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts[0] === 'upload' && parts[1] === 'storage' && parts[3] === 'b' && parts[5] === 'o') {
      if (method === 'PUT' && q.get('upload_id')) return resumablePut(req, res, q.get('upload_id') ?? '');
      if (method === 'POST') return insert(req, res, parts[4] ?? '', q);
    }
    if (parts[0] !== 'storage' || parts[1] !== 'v1' || parts[2] !== 'b' || parts[4] !== 'o') {
      throw new GcsFailure(501, 'notImplemented');
    }
    const bucket = parts[3] ?? '';
    const rest = parts.slice(5);
    const at = rest.indexOf('rewriteTo');
    if (method === 'POST' && at > 0 && rest[at + 1] === 'b' && rest[at + 3] === 'o') {
      return rewrite(
        req,
        res,
        [bucket, rest.slice(0, at).join('/')],
        [rest[at + 2] ?? '', rest.slice(at + 4).join('/')],
        q,
      );
    }
    req.resume();
    if (method === 'GET' && rest.length === 0) {
      count('objects.list');
      return list(res, bucket, q);
    }
    const name = rest.join('/');
    if (method === 'GET') {
      count(q.get('alt') === 'media' ? 'objects.get.media' : 'objects.get');
      return getObject(req, res, bucket, name, q);
    }
    if (method === 'DELETE') {
      count('objects.delete');
      const current = find(bucket, name);
      if (!current) throw new GcsFailure(404, 'notFound');
      check(current, q.get('ifGenerationMatch'));
      objects.delete(id(bucket, name));
      res.writeHead(204).end();
      return;
    }
    throw new GcsFailure(501, 'notImplemented');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      req.resume();
      if (res.headersSent) return void res.destroy();
      const failure = error instanceof GcsFailure ? error : new GcsFailure(500, String(error));
      const errors = [{ reason: failure.reason, message: failure.reason }];
      sendJson(res, failure.status, { error: { code: failure.status, message: failure.reason, errors } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const snapshot = (o: StoredObject): GcsDoubleObject => ({
    ...o,
    body: bodies.readSync(o.body),
    crc32c: o.body.crc32c,
    ...(o.composite ? {} : { md5Hash: o.body.md5 }),
  });

  return {
    endpoint,
    calls,
    get rewritesInProgress() {
      return state.rewritesInProgress;
    },
    put: (bucket, name, body, resource = {}) => {
      const { composite, ...rest } = resource;
      return snapshot(commit(bucket, name, bodies.fromBuffer(body), rest, composite ?? false));
    },
    get: (bucket, name) => {
      const found = find(bucket, name);
      return found ? snapshot(found) : undefined;
    },
    reset: async () => {
      objects.clear();
      rewrites.clear();
      sessions.clear();
      for (const key of Object.keys(calls)) delete calls[key];
      state.rewritesInProgress = 0;
      await bodies.clear();
    },
    stop: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      });
      await bodies.destroy();
    },
  };
}
