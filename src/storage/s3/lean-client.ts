import http, { type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { TRANSIENT_S3_ERRORS } from './errors.js';
import { https } from '../../util/builtins.js';
import { canonicalQuery, SigV4Signer, uriEscape, type LeanCredentials } from './sigv4.js';
import {
  copyOf,
  errorOf,
  headOf,
  LeanS3Error,
  listPageOf,
  type LeanCopy,
  type LeanHead,
  type LeanListPage,
} from './lean-shapes.js';

export type { LeanCredentials } from './sigv4.js';

export interface LeanS3Options {
  /** An S3-protocol server (`http://host:port`); absent: AWS, `s3.<region>.amazonaws.com`. */
  endpoint?: string;
  region: string;
  /** `endpoint/bucket/key` rather than `bucket.endpoint/key`. */
  forcePathStyle?: boolean;
  /** Static credentials, or the SDK client's provider (profile, default chain). */
  credentials: LeanCredentials | (() => Promise<LeanCredentials>);
  /** Sockets kept open per host (default 64). */
  maxSockets?: number;
  /** Tries per request, for network failures, 5xx and throttling (default 3). */
  attempts?: number;
}

/** What one request asks: method, bucket, key, query and headers (lower-case names). */
interface LeanRequest {
  method: 'HEAD' | 'GET' | 'PUT' | 'DELETE';
  bucket: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A 404 is an answer, not an error (a look at a key that may be free). */
  absentOk?: boolean;
}

export interface LeanHeadInput {
  Bucket: string;
  Key: string;
  VersionId?: string;
  IfMatch?: string;
  ChecksumMode?: 'ENABLED';
}

interface LeanAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer whose body is still to be read. */
interface LeanStream {
  status: number;
  headers: IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** SHA-256 of no bytes, the payload hash of a request without a body. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A bucket name that can be a DNS label under the endpoint (no dots over TLS: the certificate). */
function virtualHostable(bucket: string, tls: boolean): boolean {
  return (
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) ||
    (!tls && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..'))
  );
}

/**
 * A lean S3 client for the hot path of routing: HeadObject, CopyObject,
 * DeleteObject and ListObjectsV2, each one SigV4-signed request
 * (sigv4.ts, the same signature as the SDK's signer) over node:http(s) with
 * keep-alive sockets, answered in the SDK's shapes (lean-shapes.ts). The SDK
 * costs ~2 ms of CPU per request in its middleware stack, which bounded a
 * scan of small objects; this costs a signature and a header parse.
 * Multipart, streamed uploads and reads stay with the SDK (store.ts).
 * Failures are LeanS3Error, typed by mapS3Error like the SDK's; network
 * failures, 5xx and throttling are tried again (3 tries, jittered backoff).
 */
export class LeanS3Client {
  private readonly base: URL;
  private readonly tls: boolean;
  private readonly pathStyle: boolean;
  private readonly agent: http.Agent;
  private readonly signer: SigV4Signer;
  private readonly attempts: number;

  constructor(options: LeanS3Options) {
    this.base = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
    this.tls = this.base.protocol === 'https:';
    this.pathStyle = options.forcePathStyle ?? false;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.agent = this.tls ? new (https().Agent)(agentOptions) : new http.Agent(agentOptions);
    this.attempts = options.attempts ?? 3;
    this.signer = new SigV4Signer(options.region, 's3', options.credentials);
  }

  async headObject(input: LeanHeadInput): Promise<LeanHead> {
    const head = await this.lookObject(input);
    if (!head) throw new LeanS3Error(404, 'NotFound', `${input.Bucket}/${input.Key}: no such key`);
    return head;
  }

  /** HeadObject, undefined for a missing object (404) without building an error for it. */
  async lookObject(input: LeanHeadInput): Promise<LeanHead | undefined> {
    const answer = await this.send({
      absentOk: true,
      method: 'HEAD',
      bucket: input.Bucket,
      key: input.Key,
      query: input.VersionId ? { versionId: input.VersionId } : {},
      headers: {
        ...(input.IfMatch ? { 'if-match': input.IfMatch } : {}),
        ...(input.ChecksumMode ? { 'x-amz-checksum-mode': input.ChecksumMode } : {}),
      },
    });
    return answer.status === 404 ? undefined : headOf(answer.status, answer.headers);
  }

  /** CopyObject; `headers` name the source and the destination's headers (copyObjectHeaders in copy-object.ts). */
  async copyObject(input: {
    Bucket: string;
    Key: string;
    headers: Record<string, string>;
  }): Promise<LeanCopy> {
    const answer = await this.send({
      method: 'PUT',
      bucket: input.Bucket,
      key: input.Key,
      headers: input.headers,
    });
    return copyOf(answer.status, answer.headers, answer.body);
  }

  async deleteObject(input: {
    Bucket: string;
    Key: string;
    VersionId?: string;
    IfMatch?: string;
  }): Promise<void> {
    await this.send({
      method: 'DELETE',
      bucket: input.Bucket,
      key: input.Key,
      query: input.VersionId ? { versionId: input.VersionId } : {},
      headers: input.IfMatch ? { 'if-match': input.IfMatch } : {},
    });
  }

  async listObjectsV2(input: {
    Bucket: string;
    Prefix?: string;
    MaxKeys?: number;
    ContinuationToken?: string;
    StartAfter?: string;
  }): Promise<LeanListPage> {
    const query: Record<string, string> = { 'list-type': '2' };
    if (input.Prefix) query['prefix'] = input.Prefix;
    if (input.MaxKeys !== undefined) query['max-keys'] = String(input.MaxKeys);
    if (input.ContinuationToken) query['continuation-token'] = input.ContinuationToken;
    if (input.StartAfter) query['start-after'] = input.StartAfter;
    const answer = await this.send({ method: 'GET', bucket: input.Bucket, query });
    return listPageOf(answer.body);
  }

  /**
   * GetObject: the object's look (as HeadObject's) and its bytes, streamed.
   * Tried again only until an answer starts; a failure while reading is the
   * stream's error.
   */
  async getObject(input: {
    Bucket: string;
    Key: string;
    VersionId?: string;
    IfMatch?: string;
  }): Promise<LeanHead & { Body: Readable }> {
    const answer = await this.open({
      method: 'GET',
      bucket: input.Bucket,
      key: input.Key,
      query: input.VersionId ? { versionId: input.VersionId } : {},
      headers: input.IfMatch ? { 'if-match': input.IfMatch } : {},
    });
    return { ...headOf(answer.status, answer.headers), Body: answer.body };
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }

  /**
   * One request and its whole answer, tried again on a network failure (an
   * answer cut short included), 5xx or throttling; a 3xx/4xx/5xx answer
   * throws LeanS3Error.
   */
  private send(request: LeanRequest): Promise<LeanAnswer> {
    return this.tried(async () => {
      const { status, headers, body } = await this.answered(request);
      return { status, headers, body: await text(body) };
    });
  }

  /**
   * One request, tried again on a network failure, 5xx or throttling until
   * an answer starts, its body left to read; a 3xx/4xx/5xx answer throws
   * LeanS3Error.
   */
  private open(request: LeanRequest): Promise<LeanStream> {
    return this.tried(() => this.answered(request));
  }

  /** The answer to one try of `request`; a 3xx/4xx/5xx answer throws LeanS3Error. */
  private async answered(request: LeanRequest): Promise<LeanStream> {
    const answer = await this.once(request);
    if (answer.status >= 300 && !(answer.status === 404 && request.absentOk))
      throw errorOf(answer.status, answer.headers, await text(answer.body));
    return answer;
  }

  /** `attempt` tried again (jittered backoff) while it fails in a way worth trying again, up to `attempts` tries. */
  private async tried<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (tries >= this.attempts || !retryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** tries * (0.5 + Math.random())));
      }
    }
  }

  private async once(request: LeanRequest): Promise<LeanStream> {
    const virtual = !this.pathStyle && virtualHostable(request.bucket, this.tls);
    const hostname = virtual ? `${request.bucket}.${this.base.hostname}` : this.base.hostname;
    const host = this.base.port ? `${hostname}:${this.base.port}` : hostname;
    const basePath = this.base.pathname.replace(/\/$/, '');
    const keyPath = request.key === undefined ? '' : `/${request.key.split('/').map(uriEscape).join('/')}`;
    const path = virtual
      ? `${basePath}${keyPath || '/'}`
      : `${basePath}/${uriEscape(request.bucket)}${keyPath}`;
    const query = request.query ?? {};
    const headers = await this.signer.sign({
      method: request.method,
      path,
      query,
      headers: {
        host,
        // no request here has a body: its hash is given, not computed again for each signature
        'x-amz-content-sha256': EMPTY_SHA256,
        ...(request.method === 'PUT' ? { 'content-length': '0' } : {}),
        ...request.headers,
      },
    });
    const search = canonicalQuery(query);
    const transport = this.tls ? https() : http;
    return new Promise<LeanStream>((resolve, reject) => {
      const req = transport.request(
        {
          protocol: this.base.protocol,
          hostname,
          ...(this.base.port ? { port: this.base.port } : {}),
          method: request.method,
          path: search ? `${path}?${search}` : path,
          headers,
          agent: this.agent,
        },
        (res) => {
          // A HEAD answer never has a body, but Node decides whether to keep the socket
          // before it knows that: an answer with no Content-Length (fauxqs' 404) closes
          // it, and the next request pays a new connection. The server kept it open.
          if (request.method === 'HEAD' && res.httpVersion !== '1.0' && res.headers.connection !== 'close')
            keepAlive(req);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/**
 * An answer's whole body as text (XML, or nothing), gathered by its events:
 * an async iterator per answer (a HEAD's has no body) cost more than the
 * reading.
 */
function text(body: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8'));
    });
    body.once('error', reject);
    // closed before its end: the connection went mid-answer (tried again, as a network failure)
    body.once('close', () => {
      if (!ended) reject(new Error('the answer closed before its body ended'));
    });
  });
}

/** Marks a request's socket reusable once its answer ends (ClientRequest's `shouldKeepAlive`). */
function keepAlive(req: http.ClientRequest): void {
  (req as http.ClientRequest & { shouldKeepAlive?: boolean }).shouldKeepAlive = true;
}

/** A network failure (no answer), a 5xx, throttling or another transient S3 code. */
function retryable(error: unknown): boolean {
  if (!(error instanceof LeanS3Error)) return true;
  const status = error.$metadata.httpStatusCode;
  return status >= 500 || status === 429 || TRANSIENT_S3_ERRORS.has(error.Code);
}
