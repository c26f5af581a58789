import { NotFoundError, PreconditionError } from '../model/errors.js';
import type { Logger } from '../util/log.js';
import { formatLocation } from '../model/keys.js';
import type { Location, ObjectInfo, ObjectStore } from '../storage/types.js';
import type { RouteResult } from './result.js';

/**
 * Deletes the source once every delivery of its generation is verified, only
 * if it is still that generation (invariant 2): one overwritten meanwhile is
 * kept (false, said in the note) and routes as a new generation. A source
 * already gone counts as deleted.
 */
export async function deleteSource(
  store: ObjectStore,
  source: Location,
  object: ObjectInfo,
  result: RouteResult,
  log: Logger,
): Promise<boolean> {
  try {
    await store.delete(source.bucket, source.key, { ifGenerationMatch: object.generation });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return true;
    if (error instanceof PreconditionError) {
      result.note = 'the source was overwritten meanwhile: kept, to be routed as a new generation';
      log.info({ source: formatLocation(source), generation: object.generation }, result.note);
      return false;
    }
    throw error;
  }
}
