import { ConfigInvalidError } from '../model/errors.js';
import type { ProjectConfig } from '../storage/backends.js';
import type { ObjectStore } from '../storage/types.js';
import { statBigInt } from '../util/fs-async.js';
import { BigQueryTableReader, type BigQueryAccess } from './bigquery-reader.js';
import { isBigQueryUri, parseBigQueryUri } from './bigquery-uri.js';
import { loadReferentialText, readReferentialText } from './load.js';
import { isReferentialUri, readRemoteText, remoteVersion, resolveRemoteReferential } from './remote.js';
import type { RawRow } from './types.js';

/** One version of a referential: text to parse (a file, an object) or rows already split (a table). */
export type ReferentialContent = ({ text: string } | { rows: RawRow[] }) & { version: string };

/**
 * Where a referential comes from. `version` is a cheap check (fs mtime,
 * size and inode; a GCS generation; an S3 version id or ETag; a BigQuery
 * table's lastModifiedTime and etag) that changes whenever the content may
 * have; undefined when the referential is gone. `read` returns undefined
 * when the content changed while it was read (a file being written, a table
 * updated between two pages): the next check tries again. A reader that
 * `settles` is read only once two checks in a row saw the same new version
 * (a local file: its size and mtime stopped changing), so a file still
 * being written is not read half-way.
 */
export interface ReferentialReader {
  version(): Promise<string | undefined>;
  read(): Promise<ReferentialContent | undefined>;
  settles?: boolean;
}

export function fileReader(path: string): ReferentialReader {
  const version = async () => {
    try {
      const s = await statBigInt(path);
      return `${s.mtimeNs}-${s.size}-${s.ino}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    version,
    settles: true,
    async read() {
      const before = await version();
      const text = await readReferentialText(path);
      const after = await version();
      return before !== undefined && before === after ? { text, version: after } : undefined;
    },
  };
}

/** Reads `gs://` / `s3://` referentials through the store of the project that holds them. */
export function storeReader(
  store: () => Promise<ObjectStore>,
  ref: Parameters<typeof readRemoteText>[1],
): ReferentialReader {
  return {
    version: async () => remoteVersion(await store(), ref),
    read: async () => readRemoteText(await store(), ref),
  };
}

/** Reads a `bq://PROJECT.DATASET.TABLE` referential: tables.get for the version, tabledata.list for the rows. */
export function bigQueryReader(table: BigQueryTableReader): ReferentialReader {
  return {
    version: async () => (await table.state())?.version,
    read: async () => table.rows(),
  };
}

/** What a referential location needs to be reached, from the runtime configuration. */
export interface ReferentialAccess {
  /** `routesProject`: the project holding a gs:// / s3:// object, or (optional) the gcs project whose key file reads a bq:// table. */
  project?: string;
  projects: Readonly<Record<string, ProjectConfig>>;
  storeFor(project: string): Promise<ObjectStore>;
  /** The environment as read at the edge: `BIGQUERY_EMULATOR_HOST` sends BigQuery requests there, unauthenticated. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The reader of a path, a `gs://` / `s3://` URI or a `bq://` URI; a malformed URI or unusable `routesProject` throws ConfigInvalidError. */
export function referentialReaderFor(location: string, access: ReferentialAccess): ReferentialReader {
  if (isBigQueryUri(location))
    return bigQueryReader(
      new BigQueryTableReader(parseBigQueryUri(location), bigQueryAccessOf(location, access)),
    );
  if (isReferentialUri(location)) {
    const ref = resolveRemoteReferential(location, { ...access.projects }, access.project);
    return storeReader(() => access.storeFor(ref.project), ref);
  }
  return fileReader(location);
}

/** Whether `location` is a URI (`gs://`, `s3://`, `bq://`) rather than a path: kept as written, never resolved against a folder. */
export function isRemoteLocation(location: string): boolean {
  return isBigQueryUri(location) || isReferentialUri(location);
}

function bigQueryAccessOf(uri: string, access: ReferentialAccess): BigQueryAccess {
  const emulatorHost = access.env?.BIGQUERY_EMULATOR_HOST || undefined;
  if (access.project === undefined) return emulatorHost ? { emulatorHost } : {};
  const project = access.projects[access.project];
  if (project?.backend !== 'gcs') {
    throw new ConfigInvalidError(
      'routesProject',
      `routes ${uri} is a BigQuery table: expected \`routesProject\` absent (Application Default Credentials) or naming a gcs project whose keyFile reads it, got ${JSON.stringify(access.project)}${project ? ` (backend \`${project.backend}\`)` : ' (not a project of `projects`)'}`,
      { option: 'routesProject', routes: uri },
    );
  }
  return {
    ...(emulatorHost ? { emulatorHost } : {}),
    ...(project.keyFile ? { keyFile: project.keyFile } : {}),
  };
}

/**
 * The rows of one version of the referential at `location`, read once (a
 * version that changes while read is read again, up to 5 times).
 */
export async function readReferentialRowsAt(location: string, access: ReferentialAccess): Promise<RawRow[]> {
  const content = await readSteady(location, referentialReaderFor(location, access));
  return 'rows' in content ? content.rows : loadReferentialText(content.text, location);
}

/** Reads until a version is read whole: up to 5 attempts, 50 ms × attempt apart. */
export async function readSteady(location: string, reader: ReferentialReader): Promise<ReferentialContent> {
  for (let attempt = 1; ; attempt++) {
    const read = await reader.read();
    if (read) return read;
    if (attempt >= 5) throw new Error(`[switchyard] [referential] ${location} kept changing while read`);
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}
