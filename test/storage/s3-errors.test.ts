// S3 error mapping and header-level metadata helpers: pure functions, no server.
import { describe, expect, it } from 'vitest';
import { NotFoundError, PermanentError, PreconditionError, TransientError } from '../../src/model/errors.js';
import { mapS3Error } from '../../src/storage/s3/errors.js';
import {
  decodeMetadataValue,
  encodeMetadataValue,
  fullObjectCrc32c,
  md5FromEtag,
} from '../../src/storage/s3/metadata.js';

const context = { store: 's3:cloud', operation: 'GetObject', location: 's3:cloud/b/k' };
const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
  });

describe('mapS3Error', () => {
  it.each([
    ['NoSuchKey', 404, NotFoundError, 'E_NOT_FOUND'],
    ['PreconditionFailed', 412, PreconditionError, 'E_PRECONDITION'],
    ['InternalError', 500, TransientError, 'E_BACKEND'],
    ['SlowDown', 503, TransientError, 'E_BACKEND'],
    ['RequestTimeout', 400, TransientError, 'E_BACKEND'],
    ['AccessDenied', 403, PermanentError, 'E_BACKEND_PERMANENT'],
    ['InvalidArgument', 400, PermanentError, 'E_BACKEND_PERMANENT'],
    ['NoSuchBucket', 404, PermanentError, 'E_BACKEND_PERMANENT'],
  ])('%s (HTTP %i) → %s %s', (name, status, kind, code) => {
    const cause = sdkError(name, status);
    const mapped = mapS3Error(cause, context);
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped).toMatchObject({ code, cause });
  });

  it('treats a failure that reached no server (network) as transient, naming store and location', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const mapped = mapS3Error(cause, context);
    expect(mapped).toBeInstanceOf(TransientError);
    expect(mapped.message).toContain('[s3] GetObject s3:cloud/b/k on s3:cloud failed');
    expect(mapped.cause).toBe(cause);
  });
});

describe('s3 metadata helpers', () => {
  it('takes an MD5 only from a single-part ETag', () => {
    expect(md5FromEtag('"900150983cd24fb0d6963f7d28e17f72"')).toBe('kAFQmDzST7DWlj99KOF/cg==');
    expect(md5FromEtag('"900150983cd24fb0d6963f7d28e17f72-3"')).toBeUndefined();
    expect(md5FromEtag(undefined)).toBeUndefined();
  });

  it('ignores composite (per-part) checksums', () => {
    expect(fullObjectCrc32c('yZRlqg==', 'FULL_OBJECT')).toBe('yZRlqg==');
    expect(fullObjectCrc32c('yZRlqg==-3', undefined)).toBeUndefined();
    expect(fullObjectCrc32c('yZRlqg==', 'COMPOSITE')).toBeUndefined();
  });

  it('round-trips values that are not header-safe and leaves plain ones alone', () => {
    for (const value of ['données/été.csv', ' padded ', '=?UTF-8?B?looks-encoded?=', '日本語']) {
      const wire = encodeMetadataValue(value);
      expect(wire).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeMetadataValue(wire)).toBe(value);
    }
    expect(encodeMetadataValue('plain-value_1.csv')).toBe('plain-value_1.csv');
  });
});
