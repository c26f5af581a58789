import type { ChecksumType, ServerSideEncryption } from '@aws-sdk/client-s3';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The answers of the lean S3 client (lean-client.ts), read from the HTTP
 * status, headers and XML bodies into the shapes the SDK gives them, so the
 * store's code (headToInfo, answeredByCopy, mapS3Error) reads both alike.
 */

/** HeadObject's answer, in HeadObjectCommandOutput's terms. */
export interface LeanHead {
  $metadata: { httpStatusCode?: number };
  ETag?: string;
  VersionId?: string;
  ContentLength?: number;
  LastModified?: Date;
  ContentType?: string;
  ContentEncoding?: string;
  CacheControl?: string;
  Metadata?: Record<string, string>;
  ChecksumCRC32C?: string;
  ChecksumType?: ChecksumType;
  ServerSideEncryption?: ServerSideEncryption;
  SSECustomerAlgorithm?: string;
}

/** CopyObject's answer, in CopyObjectCommandOutput's terms. */
export interface LeanCopy {
  $metadata: { httpStatusCode?: number };
  CopyObjectResult?: {
    ETag?: string;
    LastModified?: Date;
    ChecksumCRC32C?: string;
    ChecksumType?: ChecksumType;
  };
  VersionId?: string;
  ServerSideEncryption?: ServerSideEncryption;
  SSECustomerAlgorithm?: string;
}

/** One page of ListObjectsV2, in ListObjectsV2CommandOutput's terms. */
export interface LeanListPage {
  Contents: Array<{ Key?: string; Size?: number; ETag?: string; LastModified?: Date }>;
  IsTruncated: boolean;
  NextContinuationToken?: string;
}

/**
 * A failed S3 request, shaped as the SDK's service errors (`name`/`Code`,
 * `$metadata.httpStatusCode`, `$fault`), so mapS3Error types it the same:
 * NoSuchKey/404 → NotFoundError, 412 → PreconditionError, 5xx → transient.
 */
export class LeanS3Error extends Error {
  readonly Code: string;
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  readonly $fault: 'client' | 'server';

  constructor(status: number, code: string, message: string, requestId?: string) {
    super(message || code);
    this.name = code;
    this.Code = code;
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
    this.$fault = status >= 500 ? 'server' : 'client';
  }
}

/** What a bodiless answer (HEAD) is called, as the SDK names it. */
const STATUS_NAMES: Record<number, string> = {
  301: 'PermanentRedirect',
  304: 'NotModified',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its entities (named and numeric) decoded. */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

/** The decoded text of the first `<tag>` in `xml`, undefined when absent. */
export function xmlTag(xml: string, tag: string): string | undefined {
  const open = xml.indexOf(`<${tag}>`);
  if (open < 0) return xml.includes(`<${tag}/>`) ? '' : undefined;
  const start = open + tag.length + 2;
  const end = xml.indexOf(`</${tag}>`, start);
  return end < 0 ? undefined : decodeXml(xml.slice(start, end));
}

/** Every `<tag>…</tag>` element's inner XML, in order. */
function xmlElements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  for (let at = xml.indexOf(open); at >= 0; at = xml.indexOf(open, at)) {
    const end = xml.indexOf(close, at);
    if (end < 0) break;
    out.push(xml.slice(at + open.length, end));
    at = end + close.length;
  }
  return out;
}

/** The error an S3 answer describes: its XML `<Error>` when it has one, else its status. */
export function errorOf(status: number, headers: IncomingHttpHeaders, body: string): LeanS3Error {
  const requestId = header(headers, 'x-amz-request-id');
  const code = xmlTag(body, 'Code') ?? STATUS_NAMES[status] ?? `HTTP${status}`;
  return new LeanS3Error(status, code, xmlTag(body, 'Message') ?? '', requestId);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function dateOf(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function checksumType(value: string | undefined): LeanHead['ChecksumType'] {
  return value === 'COMPOSITE' || value === 'FULL_OBJECT' ? value : undefined;
}

/** HeadObject's answer from its headers (user metadata: `x-amz-meta-*`, keys lower-cased). */
export function headOf(status: number, headers: IncomingHttpHeaders): LeanHead {
  const out: LeanHead = { $metadata: { httpStatusCode: status } };
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
  }
  out.Metadata = metadata;
  const set = <K extends keyof LeanHead>(key: K, value: LeanHead[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('ETag', header(headers, 'etag'));
  set('VersionId', header(headers, 'x-amz-version-id'));
  const length = header(headers, 'content-length');
  set('ContentLength', length === undefined ? undefined : Number(length));
  set('LastModified', dateOf(header(headers, 'last-modified')));
  set('ContentType', header(headers, 'content-type'));
  set('ContentEncoding', header(headers, 'content-encoding'));
  set('CacheControl', header(headers, 'cache-control'));
  set('ChecksumCRC32C', header(headers, 'x-amz-checksum-crc32c'));
  set('ChecksumType', checksumType(header(headers, 'x-amz-checksum-type')));
  set(
    'ServerSideEncryption',
    header(headers, 'x-amz-server-side-encryption') as LeanHead['ServerSideEncryption'] | undefined,
  );
  set('SSECustomerAlgorithm', header(headers, 'x-amz-server-side-encryption-customer-algorithm'));
  return out;
}

/**
 * CopyObject's answer. S3 may answer 200 and still fail the copy (an
 * `<Error>` body sent after the status): that is an error, as the SDK makes it.
 */
export function copyOf(status: number, headers: IncomingHttpHeaders, body: string): LeanCopy {
  if (body.includes('<Error>')) throw errorOf(status >= 300 ? status : 500, headers, body);
  const result: NonNullable<LeanCopy['CopyObjectResult']> = {};
  const etag = xmlTag(body, 'ETag');
  if (etag !== undefined) result.ETag = etag;
  const modified = dateOf(xmlTag(body, 'LastModified'));
  if (modified) result.LastModified = modified;
  const crc = xmlTag(body, 'ChecksumCRC32C');
  if (crc) result.ChecksumCRC32C = crc;
  const type = checksumType(xmlTag(body, 'ChecksumType'));
  if (type) result.ChecksumType = type;
  const out: LeanCopy = { $metadata: { httpStatusCode: status }, CopyObjectResult: result };
  const version = header(headers, 'x-amz-version-id');
  if (version) out.VersionId = version;
  const sse = header(headers, 'x-amz-server-side-encryption');
  if (sse) out.ServerSideEncryption = sse as LeanHead['ServerSideEncryption'];
  const customer = header(headers, 'x-amz-server-side-encryption-customer-algorithm');
  if (customer) out.SSECustomerAlgorithm = customer;
  return out;
}

/** One ListObjectsV2 page from its XML. */
export function listPageOf(body: string): LeanListPage {
  const Contents = xmlElements(body, 'Contents').map((item) => {
    const entry: LeanListPage['Contents'][number] = {};
    const key = xmlTag(item, 'Key');
    if (key !== undefined) entry.Key = key;
    const size = xmlTag(item, 'Size');
    if (size !== undefined) entry.Size = Number(size);
    const etag = xmlTag(item, 'ETag');
    if (etag !== undefined) entry.ETag = etag;
    const modified = dateOf(xmlTag(item, 'LastModified'));
    if (modified) entry.LastModified = modified;
    return entry;
  });
  // a page's own fields, outside its items (a key may hold any text)
  const tail = body.slice(body.lastIndexOf('</Contents>') + 1);
  const head = body.slice(0, Math.max(0, body.indexOf('<Contents>')));
  const own = (tag: string) => xmlTag(head, tag) ?? xmlTag(tail, tag);
  const page: LeanListPage = { Contents, IsTruncated: own('IsTruncated') === 'true' };
  const next = own('NextContinuationToken');
  if (next) page.NextContinuationToken = next;
  return page;
}
