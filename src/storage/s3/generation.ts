/**
 * The generation of an S3 object, one format whatever path reports it
 * (ListObjectsV2, HeadObject, GetObject, a write's or a copy's answer):
 *
 * - in a versioned bucket, the version id;
 * - otherwise `<etag>@<seconds>`: the unquoted ETag and LastModified in whole
 *   seconds since the epoch. The ETag alone would make the same bytes written
 *   again the same generation, so a producer re-sending a file after the
 *   first copy was consumed would see it deleted as a duplicate.
 *
 * Whole seconds because HeadObject (and GetObject) report Last-Modified as an
 * HTTP date, which has no finer unit, while ListObjectsV2 and CopyObject
 * answer ISO times that may carry milliseconds (fauxqs, MinIO do; AWS shows
 * `.000`): a listing truncated to the second names the object exactly as a
 * look does. Two writes of the same bytes within one second therefore share
 * a generation; nothing is lost by it, since a source is deleted only after
 * its destinations are checked to hold those very bytes.
 *
 * S3 event notifications carry an ETag and an event time but no
 * LastModified, so an event of an unversioned bucket names no generation:
 * the router's look fills it in (see `s3-event.ts`).
 */
export type S3Generation = { versionId: string } | { etag: string; modifiedSeconds: number };

const UNVERSIONED = /^([^@]+)@(\d+)$/;

export function unquoteEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}

/** Whole seconds since the epoch of a LastModified, as an HTTP date states it. */
export function modifiedSeconds(lastModified: Date | undefined): number {
  return Math.floor((lastModified?.getTime() ?? 0) / 1000);
}

/** True for a real version id: S3 reports `null` for an object written while versioning was off. */
function isVersion(versionId: string | undefined): versionId is string {
  return versionId !== undefined && versionId !== '' && versionId !== 'null';
}

/** The generation of an object as described by any S3 answer (see S3Generation). */
export function generationOf(described: {
  VersionId?: string | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
}): string {
  if (isVersion(described.VersionId)) return described.VersionId;
  return `${unquoteEtag(described.ETag) ?? ''}@${modifiedSeconds(described.LastModified)}`;
}

/** What a generation string names: a version, or an ETag written at a given second. */
export function parseGeneration(generation: string): S3Generation {
  const match = UNVERSIONED.exec(generation);
  if (!match) return { versionId: generation };
  return { etag: match[1] as string, modifiedSeconds: Number(match[2]) };
}

/** The ETag an unversioned generation pins, undefined for a version id. */
export function etagOfGeneration(generation: string): string | undefined {
  const parsed = parseGeneration(generation);
  return 'etag' in parsed ? parsed.etag : undefined;
}

/** True when `expected` is the generation of what an S3 answer describes now. */
export function matchesGeneration(
  described: { VersionId?: string | undefined; ETag?: string | undefined; LastModified?: Date | undefined },
  expected: string,
): boolean {
  return expected === generationOf(described);
}
