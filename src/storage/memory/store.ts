import { crypto, stream } from '../../util/builtins.js';
import type { Readable } from 'node:stream';
import { NotFoundError, PermanentError, PreconditionError } from '../../model/errors.js';
import { crc32cOf } from '../checksum.js';
import { assertSafeBucket, assertSafeKey } from '../../model/keys.js';
import { provenanceFromMetadata, provenanceToMetadata } from '../provenance.js';
import type {
  CopyOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  ReadOptions,
  StoreCapabilities,
  StoreStats,
  WriteOptions,
} from '../types.js';

interface StoredObject {
  data: Buffer;
  generation: string;
  created: Date;
  crc32c: string;
  md5: string;
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

type Bucket = Map<string, StoredObject>;

/**
 * The objects of every MemoryStore sharing it, in namespaces (one per store
 * name by default, like projects), with one generation counter. Stores on
 * the same backend copy between each other server-side.
 */
export class MemoryBackend {
  private static instances = 0;
  /** Tells backends apart in bucket identities. */
  readonly id = ++MemoryBackend.instances;
  private counter = 0;
  private readonly namespaces = new Map<string, Map<string, Bucket>>();

  nextGeneration(): string {
    return String(++this.counter);
  }

  bucket(namespace: string, bucket: string, create: boolean): Bucket | undefined {
    let buckets = this.namespaces.get(namespace);
    if (!buckets && create) this.namespaces.set(namespace, (buckets = new Map()));
    let objects = buckets?.get(bucket);
    if (!objects && create && buckets) buckets.set(bucket, (objects = new Map()));
    return objects;
  }

  clear(): void {
    this.namespaces.clear();
  }
}

let shared: MemoryBackend | undefined;

/** One process-wide backend (what the store registry uses for `backend: memory` projects). */
export function sharedMemoryBackend(): MemoryBackend {
  return (shared ??= new MemoryBackend());
}

export type MemoryOp = 'write' | 'copy' | 'delete' | 'stat' | 'read' | 'list';

export interface MemoryStoreOptions {
  backend?: MemoryBackend;
  name?: string;
  /** Whose buckets these are; stores with the same namespace on one backend see the same objects. Default: name. */
  namespace?: string;
  /** Size of the chunks read streams emit (default 64 KiB). */
  chunkBytes?: number;
}

/**
 * The reference ObjectStore: everything the contract describes, in memory,
 * generations as an increasing counter, CRC32C and MD5 known without reading.
 * `failNext` injects failures for router tests.
 */
export class MemoryStore implements ObjectStore {
  readonly backend = 'memory' as const;
  readonly name: string;
  readonly namespace: string;
  readonly capabilities: StoreCapabilities = {
    serverSideCopy: true,
    copyUsesProcess: false,
    conditionalWrite: true,
    versioning: false,
    checksumHeaders: true,
    partCopy: false,
    rename: false,
    metadata: true,
    listingAsLook: true,
  };
  readonly stats: StoreStats = { bytesIn: 0, bytesOut: 0 };
  private readonly shared: MemoryBackend;
  private readonly chunkBytes: number;
  private readonly faults: Array<{ op: MemoryOp; error: Error; times: number }> = [];

  constructor(options: MemoryStoreOptions = {}) {
    this.shared = options.backend ?? new MemoryBackend();
    this.name = options.name ?? 'memory';
    this.namespace = options.namespace ?? this.name;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
  }

  /** Stores sharing a backend and a namespace see the same buckets. */
  async bucketIdentity(bucket: string): Promise<string> {
    return this.bucketIdentityNow(bucket);
  }

  bucketIdentityNow(bucket: string): string {
    return `memory:${this.shared.id}:${this.namespace}:${bucket}`;
  }

  /** The next `times` calls of `op` throw `error` before doing anything. */
  failNext(op: MemoryOp, error: Error, times = 1): void {
    this.faults.push({ op, error, times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    this.check('stat', bucket, key);
    const object = this.objects(bucket, false)?.get(key);
    return object ? infoOf(bucket, key, object) : undefined;
  }

  async read(bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
    this.check('read', bucket, key);
    const object = this.mustGet(bucket, key);
    if (options.generation !== undefined && options.generation !== object.generation) {
      throw new PreconditionError(this.where(bucket, key), options.generation, object.generation);
    }
    const { data } = object;
    const chunkBytes = this.chunkBytes;
    const stats = this.stats;
    return stream().Readable.from(
      (function* chunks() {
        for (let offset = 0; offset < data.length; offset += chunkBytes) {
          const chunk = data.subarray(offset, offset + chunkBytes);
          stats.bytesIn += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
  }

  async write(
    bucket: string,
    key: string,
    body: Readable | Buffer,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    this.check('write', bucket, key);
    this.checkTarget(bucket, key, options.ifGenerationMatch);
    const data = Buffer.isBuffer(body) ? Buffer.from(body) : await collect(body);
    this.stats.bytesOut += data.length;
    this.checkTarget(bucket, key, options.ifGenerationMatch);
    return this.put(bucket, key, data, options, {});
  }

  async delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<void> {
    this.check('delete', bucket, key);
    const object = this.mustGet(bucket, key);
    if (options.ifGenerationMatch !== undefined && options.ifGenerationMatch !== object.generation) {
      throw new PreconditionError(this.where(bucket, key), options.ifGenerationMatch, object.generation);
    }
    this.objects(bucket, false)?.delete(key);
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    this.check('list', bucket);
    const prefix = options.prefix ?? '';
    const after = options.pageToken;
    const pageSize = Math.max(1, options.pageSize ?? 1000);
    const objects = this.objects(bucket, false);
    const keys = [...(objects?.keys() ?? [])]
      .filter((k) => k.startsWith(prefix) && !k.endsWith('/') && (after === undefined || k > after))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = keys.slice(0, pageSize);
    const items = page.map((k) => infoOf(bucket, k, objects!.get(k)!));
    return keys.length > pageSize ? { items, nextPageToken: page[page.length - 1] } : { items };
  }

  canCopyFrom(source: ObjectStore): boolean {
    return source instanceof MemoryStore && source.shared === this.shared;
  }

  /** Server-side copy (no bytes counted); metadata is carried over unless `options.metadata` replaces it. */
  async copy(
    source: ObjectStore,
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options: CopyOptions = {},
  ): Promise<ObjectInfo> {
    this.check('copy', to.bucket, to.key);
    assertSafeBucket(from.bucket);
    assertSafeKey(from.key);
    if (!(source instanceof MemoryStore) || !this.canCopyFrom(source)) {
      throw new PermanentError(
        'E_UNSUPPORTED',
        `[switchyard] [memory] cannot copy from ${source.name} into ${this.name}: another backend`,
        {
          source: source.name,
          destination: this.name,
        },
      );
    }
    const object = source.mustGet(from.bucket, from.key);
    const expected = options.ifSourceGenerationMatch;
    if (expected !== undefined && expected !== object.generation) {
      throw new PreconditionError(source.where(from.bucket, from.key), expected, object.generation);
    }
    this.checkTarget(to.bucket, to.key, options.ifGenerationMatch);
    return this.put(to.bucket, to.key, object.data, options, object);
  }

  private put(
    bucket: string,
    key: string,
    data: Buffer,
    options: WriteOptions,
    base: Partial<StoredObject>,
  ): ObjectInfo {
    const metadata = { ...(options.metadata ?? base.metadata ?? {}) };
    if (options.provenance) Object.assign(metadata, provenanceToMetadata(options.provenance));
    const now = new Date();
    const object: StoredObject = {
      data,
      generation: this.shared.nextGeneration(),
      created: now,
      crc32c: base.crc32c ?? crc32cOf(data),
      md5: base.md5 ?? crypto().createHash('md5').update(data).digest('base64'),
      contentType: options.contentType ?? base.contentType,
      contentEncoding: options.contentEncoding ?? base.contentEncoding,
      cacheControl: options.cacheControl ?? base.cacheControl,
      metadata,
    };
    this.objects(bucket, true)!.set(key, object);
    return infoOf(bucket, key, object);
  }

  private checkTarget(bucket: string, key: string, ifGenerationMatch: string | undefined): void {
    if (ifGenerationMatch === undefined) return;
    const current = this.objects(bucket, false)?.get(key)?.generation;
    if (
      (ifGenerationMatch === '0' && current !== undefined) ||
      (ifGenerationMatch !== '0' && current !== ifGenerationMatch)
    ) {
      throw new PreconditionError(this.where(bucket, key), ifGenerationMatch, current);
    }
  }

  private check(op: MemoryOp, bucket: string, key?: string): void {
    assertSafeBucket(bucket);
    if (key !== undefined) assertSafeKey(key);
    const index = this.faults.findIndex((f) => f.op === op);
    if (index === -1) return;
    const fault = this.faults[index]!;
    if (--fault.times <= 0) this.faults.splice(index, 1);
    throw fault.error;
  }

  private mustGet(bucket: string, key: string): StoredObject {
    const object = this.objects(bucket, false)?.get(key);
    if (!object) throw new NotFoundError(this.where(bucket, key));
    return object;
  }

  private objects(bucket: string, create: boolean): Bucket | undefined {
    return this.shared.bucket(this.namespace, bucket, create);
  }

  private where(bucket: string, key: string): string {
    return `${this.name}/${bucket}/${key}`;
  }
}

function infoOf(bucket: string, key: string, object: StoredObject): ObjectInfo {
  const metadata = { ...object.metadata };
  const provenance = provenanceFromMetadata(metadata);
  return {
    bucket,
    key,
    generation: object.generation,
    size: object.data.length,
    crc32c: object.crc32c,
    md5: object.md5,
    created: object.created,
    updated: object.created,
    contentType: object.contentType,
    contentEncoding: object.contentEncoding,
    cacheControl: object.cacheControl,
    metadata,
    ...(provenance ? { provenance } : {}),
  };
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
