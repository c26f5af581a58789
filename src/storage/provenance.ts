import type { Provenance } from './types.js';

const PREFIX = 'switchyard-';

/** Provenance as user metadata entries (GCS metadata, S3 x-amz-meta-*). */
export function provenanceToMetadata(p: Provenance): Record<string, string> {
  const out: Record<string, string> = {
    [`${PREFIX}source`]: p.source,
    [`${PREFIX}generation`]: p.generation,
    [`${PREFIX}route`]: p.route,
  };
  if (p.crc32c) out[`${PREFIX}crc32c`] = p.crc32c;
  if (p.md5) out[`${PREFIX}md5`] = p.md5;
  if (p.etag) out[`${PREFIX}etag`] = p.etag;
  if (p.sourceUpdated) out[`${PREFIX}source-updated`] = p.sourceUpdated;
  if (p.transform) out[`${PREFIX}transform`] = p.transform;
  return out;
}

/** Reads provenance back from user metadata; undefined when absent or incomplete (no CRC32C, MD5 nor vouched ETag). */
export function provenanceFromMetadata(metadata: Record<string, string> | undefined): Provenance | undefined {
  if (!metadata) return undefined;
  const source = metadata[`${PREFIX}source`];
  const generation = metadata[`${PREFIX}generation`];
  const crc32c = metadata[`${PREFIX}crc32c`];
  const md5 = metadata[`${PREFIX}md5`];
  const etag = metadata[`${PREFIX}etag`];
  const route = metadata[`${PREFIX}route`];
  if (!source || !generation || !(crc32c || md5 || etag) || !route) return undefined;
  const sourceUpdated = metadata[`${PREFIX}source-updated`];
  const transform = metadata[`${PREFIX}transform`];
  return {
    source,
    generation,
    ...(crc32c ? { crc32c } : {}),
    ...(md5 ? { md5 } : {}),
    ...(etag ? { etag } : {}),
    route,
    ...(sourceUpdated ? { sourceUpdated } : {}),
    ...(transform ? { transform } : {}),
  };
}

/** User metadata without switchyard's own keys (what a copy carries over). */
export function userMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) if (!k.startsWith(PREFIX)) out[k] = v;
  return out;
}
