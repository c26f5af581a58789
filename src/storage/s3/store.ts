import type { Readable } from 'node:stream';
import type { S3ProjectConfig } from './config.js';
import { NotFoundError, PermanentError, PreconditionError } from '../../model/errors.js';
import { checksumStream, crc32cOf, reportedByDestination } from '../checksum.js';
import { countedRead } from '../metered.js';
import { assertSafeBucket, assertSafeKey } from '../../model/keys.js';
import { resolveS3Settings, S3_MAX_PARTS, S3_MIN_PART_BYTES, type S3Settings } from './client.js';
import { isS3NotFound, isS3PreconditionFailed, mapS3Error } from './errors.js';
import { listObjectsPage, listVersionsPage } from './list.js';
import { generationOf, matchesGeneration, parseGeneration, quoteEtag } from './generation.js';
import { headToInfo } from './metadata.js';
import { copySourceOf, destinationParams, statedHead } from './params.js';
import {
  answeredByCopy,
  copyDestination,
  copyObjectHeaders,
  copyObjectInput,
  writtenByCopy,
} from './copy-object.js';
import type { LeanS3Client } from './lean-client.js';
import { ListedKeys } from './listed-keys.js';
import type { LeanHead } from './lean-shapes.js';
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
type Conditions = { IfMatch?: string; IfNoneMatch?: string };
type GetInput = Parameters<LeanS3Client['getObject']>[0];

const PART_COPY_CONCURRENCY = 4;

/**
 * ObjectStore on Amazon S3 or an S3-compatible server. Generations are
 * version ids in versioned buckets, else ETag + LastModified to the second
 * (s3-generation.ts); conditions the server may not enforce (no If-Match
 * support, or a LastModified it never checks) are re-checked with HeadObject
 * right before the operation. Copies between stores of the same endpoint, region
 * and credentials are server-side (CopyObject, UploadPartCopy above
 * `partCopyThresholdBytes`).
 */
export class S3Store implements ObjectStore {
  readonly backend = 's3' as const;
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly stats: StoreStats = { bytesIn: 0, bytesOut: 0 };
  /** Equal identities share endpoint, region and credentials. */
  readonly identity: string;
  private readonly settings: S3Settings;
  /** Destination folders listed before copies, where the server enforces no create-only copy (listed-keys.ts). */
  private readonly listed: ListedKeys | undefined;

  constructor(options: { name: string; settings: S3Settings; now?: () => number }) {
    this.name = options.name;
    this.settings = options.settings;
    this.capabilities = options.settings.capabilities;
    this.identity = options.settings.identity;
    const ttl = options.settings.destinationListingMs;
    this.listed =
      ttl > 0
        ? new ListedKeys((b, p, after, max) => this.listAfter(b, p, after, max), ttl, options.now)
        : undefined;
  }

  /** The SDK's client, imported on first use (sdk-client.ts). */
  private sdk() {
    return this.settings.sdk.get();
  }

  private where(bucket: string, key: string): string {
    return `${this.name}/${bucket}/${key}`;
  }

  private fail(error: unknown, operation: string, bucket: string, key: string, expected?: string): Error {
    return mapS3Error(error, {
      store: this.name,
      operation,
      location: this.where(bucket, key),
      ...(expected !== undefined ? { expectedGeneration: expected } : {}),
    });
  }

  private get lean() {
    return this.settings.lean;
  }

  private async head(
    bucket: string,
    key: string,
    extra: { VersionId?: string; IfMatch?: string } = {},
  ): Promise<LeanHead | undefined> {
    try {
      return await this.lean.lookObject({
        Bucket: bucket,
        Key: key,
        ...(this.capabilities.checksumHeaders ? { ChecksumMode: 'ENABLED' as const } : {}),
        ...extra,
      });
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw this.fail(error, 'HeadObject', bucket, key);
    }
  }

  /** A PreconditionError naming the generation found now. */
  private async preconditionFailed(bucket: string, key: string, expected: string, cause?: unknown) {
    const now = await this.head(bucket, key).catch(() => undefined);
    return this.notGeneration(bucket, key, expected, now, { cause });
  }

  /** A PreconditionError naming the generation a look just found (`now`; undefined: none there). */
  private notGeneration(
    bucket: string,
    key: string,
    expected: string,
    now: LeanHead | undefined,
    options?: { cause?: unknown },
  ) {
    const actual = now ? generationOf(now) : undefined;
    return new PreconditionError(this.where(bucket, key), expected, actual, options);
  }

  /**
   * Checks `ifGenerationMatch` now and returns the headers that make the
   * server re-check it. `stated`: what a stat of the destination just
   * answered (WriteOptions.destinationInfo), which stands for the look here
   * when it agrees with `expected` (a second look would say the same).
   */
  private async writeConditions(
    bucket: string,
    key: string,
    expected: string | undefined,
    stated?: ObjectInfo | null,
  ): Promise<Conditions> {
    if (expected === undefined) return {};
    // nothing there by the caller's look, or a server that refuses to replace anything itself
    if (expected === '0' && (stated === null || (stated === undefined && this.capabilities.conditionalWrite)))
      return this.capabilities.conditionalWrite ? { IfNoneMatch: '*' } : {};
    if (stated?.etag && stated.generation === expected && expected !== '0')
      return this.capabilities.conditionalWrite ? { IfMatch: quoteEtag(stated.etag) } : {};
    const head = await this.head(bucket, key);
    if (expected === '0') {
      if (head) throw this.notGeneration(bucket, key, expected, head);
      return this.capabilities.conditionalWrite ? { IfNoneMatch: '*' } : {};
    }
    if (!head || !matchesGeneration(head, expected)) throw this.notGeneration(bucket, key, expected, head);
    return this.capabilities.conditionalWrite && head.ETag ? { IfMatch: quoteEtag(head.ETag) } : {};
  }

  /** What is stored now, pinned to the version or ETag just written when the server returned one. */
  private async infoAfterWrite(bucket: string, key: string, written: { ETag?: string; VersionId?: string }) {
    const pin = written.VersionId
      ? { VersionId: written.VersionId }
      : written.ETag
        ? { IfMatch: quoteEtag(written.ETag) }
        : {};
    let head: LeanHead | undefined;
    try {
      head = await this.head(bucket, key, pin);
    } catch (error) {
      if (!(error instanceof PreconditionError)) throw error;
      head = await this.head(bucket, key);
    }
    if (!head) throw new NotFoundError(this.where(bucket, key));
    return reportedByDestination(headToInfo(bucket, key, head));
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    assertSafeBucket(bucket);
    assertSafeKey(key);
    const head = await this.head(bucket, key);
    return head ? headToInfo(bucket, key, head) : undefined;
  }

  /**
   * stat, or, where a listing of the key's folder stands for it
   * (`destinationListingMs`), "nothing there" from that listing; a key the
   * listing holds is looked at.
   */
  async statBeforeWrite(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    assertSafeBucket(bucket);
    assertSafeKey(key);
    if (this.listed && (await this.listed.lookup(bucket, key)) === 'absent') return undefined;
    return this.stat(bucket, key);
  }

  /** One page of the keys of `prefix` after `startAfter` (ListedKeys' listing). */
  private async listAfter(bucket: string, prefix: string, startAfter: string, maxKeys: number) {
    try {
      const page = await this.lean.listObjectsV2({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(startAfter ? { StartAfter: startAfter } : {}),
        MaxKeys: maxKeys,
      });
      return {
        keys: page.Contents.flatMap((item) => (item.Key ? [item.Key] : [])),
        truncated: page.IsTruncated,
      };
    } catch (error) {
      throw this.fail(error, 'ListObjects', bucket, prefix);
    }
  }

  async read(bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
    assertSafeBucket(bucket);
    assertSafeKey(key);
    const expected = options.generation;
    const input = await this.pinnedRead(bucket, key, expected);
    let body: Readable;
    try {
      const out = await this.lean.getObject(input);
      body = out.Body;
      if (expected !== undefined && !input.VersionId && !matchesGeneration(out, expected)) {
        // the ETag held but the object was written again since (the same bytes, later)
        body.destroy();
        throw new PreconditionError(this.where(bucket, key), expected, generationOf(out));
      }
    } catch (error) {
      if (error instanceof PreconditionError) throw error;
      if (expected !== undefined && isS3PreconditionFailed(error)) {
        throw await this.preconditionFailed(bucket, key, expected, error);
      }
      if (expected !== undefined && isS3NotFound(error) && (await this.head(bucket, key))) {
        throw await this.preconditionFailed(bucket, key, expected, error);
      }
      throw this.fail(error, 'GetObject', bucket, key, expected);
    }
    return countedRead(body, this.stats, (error) => this.fail(error, 'GetObject', bucket, key));
  }

  /**
   * GetObject's input for a read of `expected`: pinned to its version (once a
   * look confirmed it is the current one), or made conditional on its ETag;
   * the answer's Last-Modified is then checked against the generation too.
   */
  private async pinnedRead(bucket: string, key: string, expected: string | undefined): Promise<GetInput> {
    const input: GetInput = { Bucket: bucket, Key: key };
    if (expected === undefined) return input;
    const pinned = parseGeneration(expected);
    if ('etag' in pinned) return { ...input, IfMatch: quoteEtag(pinned.etag) };
    const head = await this.head(bucket, key);
    if (!head) throw new NotFoundError(this.where(bucket, key));
    if (!matchesGeneration(head, expected))
      throw new PreconditionError(this.where(bucket, key), expected, generationOf(head));
    return { ...input, VersionId: pinned.versionId };
  }

  async write(
    bucket: string,
    key: string,
    body: Readable | Buffer,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    assertSafeBucket(bucket);
    assertSafeKey(key);
    const conditions = await this.writeConditions(
      bucket,
      key,
      options.ifGenerationMatch,
      options.destinationInfo,
    );
    const { payload, localCrc } = this.metered(body);
    const [{ Upload }, client] = await Promise.all([import('@aws-sdk/lib-storage'), this.sdk()]);
    const upload = new Upload({
      client,
      queueSize: this.settings.uploadQueueSize,
      partSize: Math.max(
        S3_MIN_PART_BYTES,
        this.settings.partSizeBytes,
        Math.ceil((options.size ?? 0) / S3_MAX_PARTS),
      ),
      leavePartsOnError: false,
      params: {
        Bucket: bucket,
        Key: key,
        Body: payload,
        ...destinationParams(this.settings, options),
        ...(this.capabilities.checksumHeaders ? { ChecksumType: 'FULL_OBJECT' as const } : {}),
        ...(options.size !== undefined ? { ContentLength: options.size } : {}),
        ...conditions,
      },
    });
    let written: { ETag?: string; VersionId?: string };
    try {
      written = await upload.done();
    } catch (error) {
      if (!Buffer.isBuffer(payload)) payload.destroy();
      if (isS3PreconditionFailed(error) && options.ifGenerationMatch !== undefined) {
        throw await this.preconditionFailed(bucket, key, options.ifGenerationMatch, error);
      }
      throw this.fail(error, 'PutObject', bucket, key);
    }
    this.listed?.written(bucket, key);
    const info = await this.infoAfterWrite(bucket, key, written);
    info.crc32c ??= localCrc();
    return info;
  }

  /** The body counted into `stats.bytesOut`, and its CRC32C once sent. */
  private metered(body: Readable | Buffer): { payload: Readable | Buffer; localCrc: () => string } {
    if (Buffer.isBuffer(body)) {
      this.stats.bytesOut += body.length;
      const crc = crc32cOf(body);
      return { payload: body, localCrc: () => crc };
    }
    const metered = checksumStream((n) => (this.stats.bytesOut += n));
    body.on('error', (error) => metered.destroy(error));
    return { payload: body.pipe(metered), localCrc: () => metered.crc32c };
  }

  async delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<void> {
    assertSafeBucket(bucket);
    assertSafeKey(key);
    const head = await this.head(bucket, key);
    if (!head) throw new NotFoundError(this.where(bucket, key));
    const expected = options.ifGenerationMatch;
    if (expected !== undefined && !matchesGeneration(head, expected)) {
      throw new PreconditionError(this.where(bucket, key), expected, generationOf(head));
    }
    // Unversioned, the server re-checks the ETag only (S3 checks a LastModified
    // on delete in directory buckets alone): an object written again with the
    // same bytes between this look and the delete would go, its bytes being
    // those the caller verified at the destination.
    const versioned = head.VersionId && head.VersionId !== 'null';
    const guard =
      expected === undefined
        ? {}
        : versioned
          ? { VersionId: head.VersionId }
          : this.capabilities.conditionalWrite && head.ETag
            ? { IfMatch: quoteEtag(head.ETag) }
            : {};
    try {
      await this.lean.deleteObject({ Bucket: bucket, Key: key, ...guard });
    } catch (error) {
      if (isS3PreconditionFailed(error) && expected !== undefined) {
        throw await this.preconditionFailed(bucket, key, expected, error);
      }
      throw this.fail(error, 'DeleteObject', bucket, key, expected);
    }
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    assertSafeBucket(bucket);
    try {
      return this.capabilities.versioning
        ? await listVersionsPage(await this.sdk(), bucket, options)
        : await listObjectsPage(this.lean, bucket, options);
    } catch (error) {
      throw this.fail(error, 'ListObjects', bucket, options.prefix ?? '');
    }
  }

  canCopyFrom(source: ObjectStore): boolean {
    return source instanceof S3Store && source.identity === this.identity;
  }

  /**
   * One CopyObject, pinned to the source's ETag (`CopySourceIfMatch`) or
   * version, on a server that enforces it (`conditionalWrite`): its success
   * is the server's word that the destination holds that generation's
   * bytes. Not a part copy (several requests, above `partCopyThresholdBytes`).
   */
  copyVouched(source: ObjectStore, size: number): boolean {
    return this.capabilities.conditionalWrite && this.copyConfirmable(source, size);
  }

  /**
   * One CopyObject, which the server makes whole, takes `sourceLookAfter`
   * (see CopyOptions); not a part copy, whose parts this process assembles.
   */
  copyConfirmable(source: ObjectStore, size: number): boolean {
    if (!this.canCopyFrom(source)) return false;
    return !(this.capabilities.partCopy && size >= this.settings.partCopyThresholdBytes);
  }

  async copy(source: ObjectStore, from: Ref, to: Ref, options: CopyOptions = {}): Promise<ObjectInfo> {
    if (!this.canCopyFrom(source)) throw this.cannotCopyFrom(source);
    for (const ref of [from, to]) {
      assertSafeBucket(ref.bucket);
      assertSafeKey(ref.key);
    }
    const expectedSource = options.ifSourceGenerationMatch;
    const size = options.sourceInfo?.size ?? 0;
    const proof = this.sourceProof(options.sourceInfo, size);
    // where the server enforces no pin, asked for: a look after the copy checks it, unless the answer proves the bytes
    const lookAfter = options.sourceLookAfter === true && !this.capabilities.conditionalWrite;
    // The caller's stat stands for a look at the source where the server
    // checks copy conditions, or where the copy's answer proves which bytes
    // it copied (`proof`: the source's MD5, checked below; or the caller's
    // read of the source, compared with it there), or where a look after
    // the copy finds the generation still there (`lookAfter`).
    const stated =
      this.capabilities.conditionalWrite || proof || options.sourceReadAlongside || lookAfter
        ? statedHead(options.sourceInfo, expectedSource)
        : undefined;
    const src = stated ?? (await this.head(from.bucket, from.key));
    if (!src) throw new NotFoundError(this.where(from.bucket, from.key));
    if (expectedSource !== undefined && !matchesGeneration(src, expectedSource)) {
      throw new PreconditionError(this.where(from.bucket, from.key), expectedSource, generationOf(src));
    }
    const conditions = await this.writeConditions(
      to.bucket,
      to.key,
      options.ifGenerationMatch,
      options.destinationInfo,
    );
    let info: ObjectInfo;
    try {
      info = await this.copyWith(from, to, src, options, conditions);
    } catch (error) {
      // a copy that failed may still have written (an answer lost on the way back)
      this.listed?.written(to.bucket, to.key);
      if (isS3PreconditionFailed(error))
        throw await this.copyPreconditionFailed(error, from, to, src, options);
      throw this.fail(error, 'CopyObject', to.bucket, to.key);
    }
    this.listed?.written(to.bucket, to.key);
    if (stated && proof && !this.capabilities.conditionalWrite && info.md5 && info.md5 !== proof) {
      // the server copied other bytes than the stated generation's: the source changed since.
      // (A destination whose answer states no MD5, a bucket encrypting with KMS by default,
      // proves nothing here: the caller's verification then reads.)
      throw await this.preconditionFailed(from.bucket, from.key, expectedSource ?? generationOf(src));
    }
    // the source's MD5 in the copy's answer proved the bytes; any other copy is pinned by the look
    if (lookAfter && !(proof && info.md5)) await this.sourceStood(from, expectedSource ?? generationOf(src));
    return info;
  }

  /**
   * The copy's pin, checked after it where the server does not enforce
   * `CopySourceIfMatch`: the source must still be the generation the copy
   * was asked for, as it was before the copy (the caller's stat). A source
   * written again or removed since fails the copy (PreconditionError), the
   * destination it wrote then proving nothing.
   */
  private async sourceStood(from: Ref, expected: string): Promise<void> {
    const now = await this.head(from.bucket, from.key);
    if (now && matchesGeneration(now, expected)) return;
    throw this.notGeneration(from.bucket, from.key, expected, now);
  }

  /**
   * The source's MD5 when the answer of a single CopyObject will prove which
   * bytes were copied: the source is single-part and not SSE-KMS/SSE-C (its
   * stat found an MD5), and so will the destination be (no part copy, no
   * KMS or customer key here).
   */
  private sourceProof(info: ObjectInfo | undefined, size: number): string | undefined {
    if (!info?.md5) return undefined;
    if (this.capabilities.partCopy && size >= this.settings.partCopyThresholdBytes) return undefined;
    if (this.settings.serverSideEncryption?.startsWith('aws:kms')) return undefined;
    return info.md5;
  }

  /** The copy itself, one CopyObject or a part copy, and what it left: from its answer where it says enough. */
  private async copyWith(
    from: Ref,
    to: Ref,
    src: LeanHead,
    options: CopyOptions,
    conditions: Conditions,
  ): Promise<ObjectInfo> {
    const destination = copyDestination(this.settings, src, options);
    const copySource = copySourceOf(from, src.VersionId);
    const sourceEtag = quoteEtag(src.ETag ?? '');
    const size = src.ContentLength ?? 0;
    if (this.capabilities.partCopy && size >= this.settings.partCopyThresholdBytes) {
      const { multipartCopy } = await import('./part-copy.js');
      const written = await multipartCopy({
        client: await this.sdk(),
        copySource,
        sourceEtag,
        size,
        bucket: to.bucket,
        key: to.key,
        create: destination,
        ...(conditions.IfMatch ? { ifMatch: conditions.IfMatch } : {}),
        ...(conditions.IfNoneMatch ? { ifNoneMatch: conditions.IfNoneMatch } : {}),
        partSizeBytes: this.settings.partSizeBytes,
        concurrency: PART_COPY_CONCURRENCY,
      });
      return this.infoAfterWrite(to.bucket, to.key, written);
    }
    const input = copyObjectInput(to, copySource, sourceEtag, destination, conditions);
    const out = await this.lean.copyObject({
      Bucket: to.bucket,
      Key: to.key,
      headers: copyObjectHeaders(input),
    });
    // what the copy answered is what a look would report: a CRC32C the server
    // computed (asked for by ChecksumAlgorithm) and the ETag; a look only where
    // the answer lacks them (a checksum-capable server that sent none)
    const answered = answeredByCopy(to, out, destination, size);
    if (answered && (answered.crc32c || !this.capabilities.checksumHeaders))
      return reportedByDestination(answered);
    return this.infoAfterWrite(to.bucket, to.key, writtenByCopy(out));
  }

  /** E_UNSUPPORTED: a server-side copy needs the same endpoint, region and credentials. */
  private cannotCopyFrom(source: ObjectStore): Error {
    return new PermanentError(
      'E_UNSUPPORTED',
      `[switchyard] [s3] ${this.name} cannot copy server-side from ${source.name}`,
      {
        store: this.name,
        source: source.name,
      },
    );
  }

  /**
   * The PreconditionError for a copy the server refused on a condition: the
   * source's when it is no longer the generation copied, else the destination's.
   */
  private async copyPreconditionFailed(
    error: unknown,
    from: Ref,
    to: Ref,
    src: LeanHead,
    options: CopyOptions,
  ): Promise<Error> {
    const now = await this.head(from.bucket, from.key).catch(() => undefined);
    if (!now || !matchesGeneration(now, generationOf(src))) {
      return this.preconditionFailed(
        from.bucket,
        from.key,
        options.ifSourceGenerationMatch ?? generationOf(src),
        error,
      );
    }
    return this.preconditionFailed(to.bucket, to.key, options.ifGenerationMatch ?? 'unknown', error);
  }

  async close(): Promise<void> {
    this.settings.sdk.destroy();
    this.lean.destroy();
  }
}

/** Creates the store for one project (called lazily by the StoreRegistry). */
export function createS3Store(
  project: string,
  config: S3ProjectConfig,
  env: Record<string, string | undefined>,
): S3Store {
  return new S3Store({ name: `s3:${project}`, settings: resolveS3Settings(project, config, env) });
}
