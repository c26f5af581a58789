/**
 * TEST DOUBLE — not an S3 implementation.
 *
 * A tiny node:http server speaking just enough of the S3 REST protocol
 * (path-style) to exercise server-side copies, which fauxqs lacks (part copy)
 * or only half keeps (no Content-Encoding / Cache-Control): HeadObject,
 * CopyObject (MetadataDirective REPLACE), CreateMultipartUpload,
 * UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload. Every other
 * request answers 501 NotImplemented.
 * Objects are seeded and inspected through the programmatic API (`put`,
 * `get`); `calls` counts requests per operation so tests can assert what the
 * client did. Honours If-Match on HeadObject, x-amz-copy-source-if-match on
 * CopyObject and UploadPartCopy, and If-Match / If-None-Match on CopyObject
 * and CompleteMultipartUpload.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

interface Upload {
  bucket: string;
  key: string;
  headers: Omit<DoubleObject, 'body' | 'etag' | 'lastModified'>;
  parts: Map<number, { body: Buffer; etag: string }>;
}

export interface S3PartCopyDouble {
  endpoint: string;
  calls: Record<string, number>;
  /** Multipart uploads neither completed nor aborted. */
  openUploads(): number;
  put(
    bucket: string,
    key: string,
    body: Buffer,
    headers?: Partial<Omit<DoubleObject, 'body' | 'etag' | 'lastModified'>>,
  ): DoubleObject;
  get(bucket: string, key: string): DoubleObject | undefined;
  stop(): Promise<void>;
}

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

const md5Hex = (data: Buffer) => createHash('md5').update(data).digest('hex');
const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const bare = (etag: string) => etag.replace(/^"|"$/g, '');

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentHeaders(req: IncomingMessage): Upload['headers'] {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
  }
  const out: Upload['headers'] = { metadata };
  const type = header(req, 'content-type');
  const encoding = header(req, 'content-encoding');
  const cache = header(req, 'cache-control');
  if (type) out.contentType = type;
  if (encoding) out.contentEncoding = encoding;
  if (cache) out.cacheControl = cache;
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

export async function startS3PartCopyDouble(): Promise<S3PartCopyDouble> {
  const buckets = new Map<string, Map<string, DoubleObject>>();
  const uploads = new Map<string, Upload>();
  const calls: Record<string, number> = {};

  const objectsOf = (bucket: string) => {
    let objects = buckets.get(bucket);
    if (!objects) buckets.set(bucket, (objects = new Map()));
    return objects;
  };
  const find = (bucket: string, key: string) => {
    const found = buckets.get(bucket)?.get(key);
    if (!found) throw new S3Failure(404, 'NoSuchKey');
    return found;
  };
  const store = (bucket: string, key: string, body: Buffer, etag: string, headers: Upload['headers']) => {
    const object: DoubleObject = { ...headers, body, etag, lastModified: new Date() };
    objectsOf(bucket).set(key, object);
    return object;
  };
  const uploadOf = (id: string | null, bucket: string, key: string) => {
    const upload = id ? uploads.get(id) : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw new S3Failure(404, 'NoSuchUpload');
    return upload;
  };

  function headObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    const object = find(bucket, key);
    const ifMatch = header(req, 'if-match');
    if (ifMatch && bare(ifMatch) !== bare(object.etag)) throw new S3Failure(412, 'PreconditionFailed');
    const headers: Record<string, string | number> = {
      'content-length': object.body.length,
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
    };
    if (object.contentType) headers['content-type'] = object.contentType;
    if (object.contentEncoding) headers['content-encoding'] = object.contentEncoding;
    if (object.cacheControl) headers['cache-control'] = object.cacheControl;
    for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
    res.writeHead(200, headers);
    res.end();
  }

  function createUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    const id = randomUUID();
    uploads.set(id, { bucket, key, headers: contentHeaders(req), parts: new Map() });
    sendXml(
      res,
      200,
      `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  function sourceOf(req: IncomingMessage): DoubleObject {
    const raw = decodeURIComponent((header(req, 'x-amz-copy-source') ?? '').split('?')[0] ?? '');
    const source = raw.replace(/^\//, '');
    const slash = source.indexOf('/');
    const object = find(source.slice(0, slash), source.slice(slash + 1));
    const ifMatch = header(req, 'x-amz-copy-source-if-match');
    if (ifMatch && bare(ifMatch) !== bare(object.etag)) throw new S3Failure(412, 'PreconditionFailed');
    return object;
  }

  function checkDestination(req: IncomingMessage, bucket: string, key: string): void {
    const current = buckets.get(bucket)?.get(key);
    const ifMatch = header(req, 'if-match');
    if (header(req, 'if-none-match') === '*' && current) throw new S3Failure(412, 'PreconditionFailed');
    if (ifMatch && (!current || bare(ifMatch) !== bare(current.etag)))
      throw new S3Failure(412, 'PreconditionFailed');
  }

  function copyObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    const object = sourceOf(req);
    checkDestination(req, bucket, key);
    const replace = header(req, 'x-amz-metadata-directive') === 'REPLACE';
    const { body, etag, lastModified: _, ...kept } = object;
    const copied = store(bucket, key, Buffer.from(body), etag, replace ? contentHeaders(req) : kept);
    const result = `<ETag>${xmlEscape(copied.etag)}</ETag><LastModified>${copied.lastModified.toISOString()}</LastModified>`;
    sendXml(res, 200, `<CopyObjectResult>${result}</CopyObjectResult>`);
  }

  function uploadPartCopy(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    url: URL,
  ): void {
    const upload = uploadOf(url.searchParams.get('uploadId'), bucket, key);
    const partNumber = Number(url.searchParams.get('partNumber'));
    const object = sourceOf(req);
    const range = /^bytes=(\d+)-(\d+)$/.exec(header(req, 'x-amz-copy-source-range') ?? '');
    const body = range ? object.body.subarray(Number(range[1]), Number(range[2]) + 1) : object.body;
    if (range && Number(range[2]) >= object.body.length) throw new S3Failure(416, 'InvalidRange');
    const etag = `"${md5Hex(body)}"`;
    upload.parts.set(partNumber, { body: Buffer.from(body), etag });
    sendXml(
      res,
      200,
      `<CopyPartResult><ETag>${xmlEscape(etag)}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyPartResult>`,
    );
  }

  async function completeUpload(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    url: URL,
  ) {
    const id = url.searchParams.get('uploadId');
    const upload = uploadOf(id, bucket, key);
    const xml = (await readBody(req)).toString('utf8');
    const listed = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
      etag: xmlUnescape(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? ''),
    }));
    if (listed.length === 0) throw new S3Failure(400, 'MalformedXML');
    const bodies: Buffer[] = [];
    const digests: Buffer[] = [];
    for (const [i, part] of listed.entries()) {
      const stored = upload.parts.get(part.number);
      if (!stored || bare(stored.etag) !== bare(part.etag)) throw new S3Failure(400, 'InvalidPart');
      if (i > 0 && part.number <= (listed[i - 1]?.number ?? 0)) throw new S3Failure(400, 'InvalidPartOrder');
      bodies.push(stored.body);
      digests.push(createHash('md5').update(stored.body).digest());
    }
    checkDestination(req, bucket, key);
    const etag = `"${md5Hex(Buffer.concat(digests))}-${listed.length}"`;
    store(bucket, key, Buffer.concat(bodies), etag, upload.headers);
    uploads.delete(id ?? '');
    sendXml(
      res,
      200,
      `<CompleteMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  function operationOf(method: string, url: URL, req: IncomingMessage): string {
    const q = url.searchParams;
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
    if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
    if (method === 'PUT' && q.has('uploadId') && header(req, 'x-amz-copy-source')) return 'UploadPartCopy';
    if (method === 'PUT' && header(req, 'x-amz-copy-source')) return 'CopyObject';
    if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
    return `${method} (not implemented)`;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://double');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const operation = operationOf(req.method ?? 'GET', url, req);
    calls[operation] = (calls[operation] ?? 0) + 1;
    const run = async () => {
      switch (operation) {
        case 'HeadObject':
          return headObject(req, res, bucket, key);
        case 'CreateMultipartUpload':
          return createUpload(req, res, bucket, key);
        case 'CopyObject':
          return copyObject(req, res, bucket, key);
        case 'UploadPartCopy':
          return uploadPartCopy(req, res, bucket, key, url);
        case 'CompleteMultipartUpload':
          return completeUpload(req, res, bucket, key, url);
        case 'AbortMultipartUpload':
          uploadOf(url.searchParams.get('uploadId'), bucket, key);
          uploads.delete(url.searchParams.get('uploadId') ?? '');
          res.writeHead(204).end();
          return;
        default:
          throw new S3Failure(501, 'NotImplemented');
      }
    };
    if (operation !== 'CompleteMultipartUpload') req.resume();
    run().catch((error: unknown) => {
      const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError');
      if (req.method === 'HEAD') res.writeHead(failure.status).end();
      else
        sendXml(
          res,
          failure.status,
          `<Error><Code>${failure.code}</Code><Message>${failure.code}</Message></Error>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    openUploads: () => uploads.size,
    put: (bucket, key, body, headers = {}) =>
      store(bucket, key, Buffer.from(body), `"${md5Hex(body)}"`, { metadata: {}, ...headers }),
    get: (bucket, key) => buckets.get(bucket)?.get(key),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
