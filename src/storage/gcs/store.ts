import { Storage, type Bucket, type FileMetadata, type StorageOptions } from '@google-cloud/storage';
import type { Readable } from 'node:stream';
import type { GcsProjectConfig } from './config.js';
import { NotFoundError, PermanentError, PreconditionError } from '../../model/errors.js';
import { checksumStream, reportedByDestination } from '../checksum.js';
import { countedRead } from '../metered.js';
import { stream } from '../../util/builtins.js';
import { isGcsNotFound, isGcsPreconditionFailed, mapGcsError } from './errors.js';
import { destinationResource, resourceToInfo } from './metadata.js';
import { rewriteObject } from './rewrite.js';
import { assertSafeBucket, assertSafeKey, isFolderPlaceholder } from '../../model/keys.js';
import { userMetadata } from '../provenance.js';
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

type Ref = { bucket: string; key: string };

const DEFAULT_RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;

export interface GcsStoreOptions {
  name: string;
  storage: Storage;
  /** Stores with equal identities (endpoint and credentials) can rewrite between each other. */
  identity: string;
  versioning?: boolean;
  resumableThresholdBytes?: number;
  rewriteMaxBytesPerCall?: number;
  storageClass?: string;
  kmsKeyName?: string;
}

/** Resolves once the download's response headers arrived with a success status; rejects with its error. */
function whenResponding(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => {
      stream.off('response', onResponse);
      reject(error);
    };
    const onResponse = (response: { statusCode?: number }) => {
      if ((response.statusCode ?? 200) >= 300) return;
      stream.off('error', onError);
      stream.off('response', onResponse);
      resolve();
    };
    stream.once('error', onError);
    stream.on('response', onResponse);
    stream.read(0);
  });
}

/**
 * ObjectStore on Google Cloud Storage (JSON API). Generations are GCS
 * generations; every conditional operation is enforced by the server
 * (`ifGenerationMatch`, `ifSourceGenerationMatch`). Objects are read and
 * copied as stored: a gzip-encoded object is never transcoded. Copies
 * between stores of the same endpoint and credentials are rewrites, followed
 * token by token until done.
 */
export class GcsStore implements ObjectStore {
  readonly backend = 'gcs' as const;
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly stats: StoreStats = { bytesIn: 0, bytesOut: 0 };
  readonly identity: string;
  /** Rewrite calls made by `copy` (more than one per copy for large objects). */
  rewriteCalls = 0;
  private readonly storage: Storage;

  constructor(private readonly options: GcsStoreOptions) {
    this.name = options.name;
    this.storage = options.storage;
    this.identity = options.identity;
    this.capabilities = {
      serverSideCopy: true,
      copyUsesProcess: false,
      conditionalWrite: true,
      versioning: options.versioning ?? false,
      checksumHeaders: true,
      partCopy: true,
      rename: false,
      metadata: true,
      listingAsLook: true,
    };
  }

  private bucketOf(bucket: string): Bucket {
    assertSafeBucket(bucket);
    return this.storage.bucket(bucket);
  }

  private where(bucket: string, key: string): string {
    return `${this.name}/${bucket}/${key}`;
  }

  private fail(error: unknown, operation: string, bucket: string, key: string, expected?: string): Error {
    return mapGcsError(error, {
      store: this.name,
      operation,
      location: this.where(bucket, key),
      ...(expected !== undefined ? { expectedGeneration: expected } : {}),
    });
  }

  private async preconditionFailed(bucket: string, key: string, expected: string, cause: unknown) {
    const now = await this.stat(bucket, key).catch(() => undefined);
    return new PreconditionError(this.where(bucket, key), expected, now?.generation, { cause });
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    try {
      const [resource] = await this.bucketOf(bucket).file(key).getMetadata();
      return resourceToInfo(bucket, key, resource);
    } catch (error) {
      if (isGcsNotFound(error)) return undefined;
      throw this.fail(error, 'objects.get', bucket, key);
    }
  }

  async read(bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
    assertSafeKey(key);
    const expected = options.generation;
    if (expected !== undefined && (this.capabilities.versioning || !/^\d+$/.test(expected))) {
      const now = await this.stat(bucket, key);
      if (!now) throw new NotFoundError(this.where(bucket, key));
      if (now.generation !== expected)
        throw new PreconditionError(this.where(bucket, key), expected, now.generation);
    }
    const file = this.bucketOf(bucket).file(
      key,
      expected !== undefined ? { generation: Number(expected) } : {},
    );
    const download = file.createReadStream({ decompress: false, validation: false });
    try {
      await whenResponding(download);
    } catch (error) {
      download.destroy();
      if (expected !== undefined && isGcsNotFound(error) && (await this.stat(bucket, key))) {
        throw await this.preconditionFailed(bucket, key, expected, error);
      }
      throw this.fail(error, 'objects.get', bucket, key, expected);
    }
    return countedRead(download, this.stats, (error) => this.fail(error, 'objects.get', bucket, key));
  }

  async write(
    bucket: string,
    key: string,
    body: Readable | Buffer,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    assertSafeKey(key);
    const file = this.bucketOf(bucket).file(
      key,
      this.options.kmsKeyName ? { kmsKeyName: this.options.kmsKeyName } : {},
    );
    const threshold = this.options.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD_BYTES;
    const size = Buffer.isBuffer(body) ? body.length : options.size;
    const resumable = size === undefined || size >= threshold;
    const metadata: FileMetadata & { contentLength?: number } = destinationResource(
      options,
      this.options.storageClass,
    );
    if (resumable && size !== undefined) metadata.contentLength = size;
    const upload = file.createWriteStream({
      resumable,
      validation: 'crc32c',
      metadata,
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.ifGenerationMatch !== undefined
        ? { preconditionOpts: { ifGenerationMatch: options.ifGenerationMatch } }
        : {}),
    });
    // an upload's bytes counted (for `stats`) and checksummed as they flow
    const metered = checksumStream((n) => (this.stats.bytesOut += n));
    const { Readable, promises } = stream();
    try {
      await promises.pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, metered, upload);
    } catch (error) {
      if (isGcsPreconditionFailed(error) && options.ifGenerationMatch !== undefined) {
        throw await this.preconditionFailed(bucket, key, options.ifGenerationMatch, error);
      }
      throw this.fail(error, 'objects.insert', bucket, key);
    }
    return reportedByDestination(resourceToInfo(bucket, key, file.metadata));
  }

  async delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<void> {
    assertSafeKey(key);
    const expected = options.ifGenerationMatch;
    try {
      await this.bucketOf(bucket)
        .file(key)
        .delete(expected !== undefined ? { ifGenerationMatch: expected } : {});
    } catch (error) {
      if (isGcsPreconditionFailed(error) && expected !== undefined) {
        throw await this.preconditionFailed(bucket, key, expected, error);
      }
      throw this.fail(error, 'objects.delete', bucket, key, expected);
    }
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    try {
      const [files, next] = await this.bucketOf(bucket).getFiles({
        autoPaginate: false,
        maxResults: options.pageSize ?? 1000,
        ...(options.prefix ? { prefix: options.prefix } : {}),
        ...(options.pageToken ? { pageToken: options.pageToken } : {}),
      });
      const items = files
        .filter((file) => !isFolderPlaceholder(file.name))
        .map((file) => resourceToInfo(bucket, file.name, file.metadata));
      const nextPageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
      return nextPageToken ? { items, nextPageToken } : { items };
    } catch (error) {
      throw this.fail(error, 'objects.list', bucket, options.prefix ?? '');
    }
  }

  canCopyFrom(source: ObjectStore): boolean {
    return source instanceof GcsStore && source.identity === this.identity;
  }

  async copy(source: ObjectStore, from: Ref, to: Ref, options: CopyOptions = {}): Promise<ObjectInfo> {
    if (!this.canCopyFrom(source)) {
      throw new PermanentError(
        'E_UNSUPPORTED',
        `[switchyard] [gcs] ${this.name} cannot rewrite from ${source.name}`,
        {
          store: this.name,
          source: source.name,
        },
      );
    }
    assertSafeKey(to.key);
    const src = await this.stat(from.bucket, from.key);
    if (!src) throw new NotFoundError(this.where(from.bucket, from.key));
    const expectedSource = options.ifSourceGenerationMatch;
    if (expectedSource !== undefined && expectedSource !== src.generation) {
      throw new PreconditionError(this.where(from.bucket, from.key), expectedSource, src.generation);
    }
    const resource = destinationResource(
      {
        contentType: options.contentType ?? src.contentType,
        contentEncoding: options.contentEncoding ?? src.contentEncoding,
        cacheControl: options.cacheControl ?? src.cacheControl,
        metadata: { ...userMetadata(src.metadata), ...options.metadata },
        ...(options.provenance ? { provenance: options.provenance } : {}),
      },
      this.options.storageClass,
    );
    try {
      const result = await rewriteObject(
        this.bucketOf(from.bucket).file(from.key),
        { bucket: this.bucketOf(to.bucket).name, name: to.key },
        {
          ifSourceGenerationMatch: src.generation,
          ...(options.ifGenerationMatch !== undefined
            ? { ifGenerationMatch: options.ifGenerationMatch }
            : {}),
          ...(this.options.rewriteMaxBytesPerCall
            ? { maxBytesRewrittenPerCall: this.options.rewriteMaxBytesPerCall }
            : {}),
          ...(this.options.kmsKeyName ? { destinationKmsKeyName: this.options.kmsKeyName } : {}),
        },
        resource,
      );
      this.rewriteCalls += result.calls;
      return reportedByDestination(resourceToInfo(to.bucket, to.key, result.resource));
    } catch (error) {
      if (isGcsPreconditionFailed(error)) {
        const now = await this.stat(from.bucket, from.key).catch(() => undefined);
        if (now?.generation !== src.generation) {
          throw await this.preconditionFailed(from.bucket, from.key, expectedSource ?? src.generation, error);
        }
        throw await this.preconditionFailed(to.bucket, to.key, options.ifGenerationMatch ?? 'unknown', error);
      }
      throw this.fail(error, 'objects.rewrite', to.bucket, to.key);
    }
  }
}

/**
 * Creates the store for one project (called lazily by the StoreRegistry).
 * With `apiEndpoint` (a local double or emulator) and no key file, requests
 * are sent without authentication.
 */
export function createGcsStore(
  project: string,
  config: GcsProjectConfig,
  _env: Record<string, string | undefined>,
): GcsStore {
  const storageOptions: StorageOptions = {};
  if (config.projectId) storageOptions.projectId = config.projectId;
  if (config.keyFile) storageOptions.keyFilename = config.keyFile;
  if (config.apiEndpoint) {
    storageOptions.apiEndpoint = config.apiEndpoint;
    storageOptions.useAuthWithCustomEndpoint = config.keyFile !== undefined;
  }
  return new GcsStore({
    name: `gcs:${project}`,
    storage: new Storage(storageOptions),
    identity: JSON.stringify({ endpoint: config.apiEndpoint ?? 'google', keyFile: config.keyFile ?? 'adc' }),
    ...(config.versioning !== undefined ? { versioning: config.versioning } : {}),
    ...(config.resumableThresholdBytes ? { resumableThresholdBytes: config.resumableThresholdBytes } : {}),
    ...(config.rewriteMaxBytesPerCall ? { rewriteMaxBytesPerCall: config.rewriteMaxBytesPerCall } : {}),
    ...(config.storageClass ? { storageClass: config.storageClass } : {}),
    ...(config.kmsKeyName ? { kmsKeyName: config.kmsKeyName } : {}),
  });
}
