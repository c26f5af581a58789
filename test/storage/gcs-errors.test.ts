// GCS error mapping: pure function, no server.
import { describe, expect, it } from 'vitest';
import { NotFoundError, PermanentError, PreconditionError, TransientError } from '../../src/model/errors.js';
import { mapGcsError } from '../../src/storage/gcs/errors.js';

const context = { store: 'gcs:lake', operation: 'objects.get', location: 'gcs:lake/b/k' };

describe('mapGcsError', () => {
  it.each([
    [{ code: 404 }, NotFoundError, 'E_NOT_FOUND'],
    [{ code: 412 }, PreconditionError, 'E_PRECONDITION'],
    [{ status: 412 }, PreconditionError, 'E_PRECONDITION'],
    [{ response: { status: 503 } }, TransientError, 'E_BACKEND'],
    [{ code: 429 }, TransientError, 'E_BACKEND'],
    [{ code: 500 }, TransientError, 'E_BACKEND'],
    [{ code: 'ECONNRESET' }, TransientError, 'E_BACKEND'],
    [{ code: 'FILE_NO_UPLOAD' }, TransientError, 'E_BACKEND'],
    [{ code: 403 }, PermanentError, 'E_BACKEND_PERMANENT'],
    [{ code: 400 }, PermanentError, 'E_BACKEND_PERMANENT'],
  ])('%o → %s %s', (shape, kind, code) => {
    const cause = Object.assign(new Error('failed'), shape);
    const mapped = mapGcsError(cause, context);
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped).toMatchObject({ code, cause });
  });

  it('names the component, operation and location', () => {
    const mapped = mapGcsError(Object.assign(new Error('Forbidden'), { code: 403 }), context);
    expect(mapped.message).toBe(
      '[switchyard] [gcs] objects.get gcs:lake/b/k on gcs:lake failed (HTTP 403): Forbidden',
    );
  });
});
