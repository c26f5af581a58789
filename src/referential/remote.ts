import type { Readable } from 'node:stream';
import type { ProjectConfig } from '../storage/backends.js';
import { ConfigInvalidError, PermanentError, ReferentialMissingError } from '../model/errors.js';
import type { ObjectStore } from '../storage/types.js';

/**
 * A referential stored as an object: `gs://bucket/key.csv` or
 * `s3://bucket/key.csv`. The bucket belongs to the project named by
 * `routesProject` in switchyard.yaml, whose backend must match the scheme
 * (`gs://` → gcs, `s3://` → s3); its credentials are that project's.
 */
export interface RemoteReferential {
  uri: string;
  backend: 'gcs' | 's3';
  project: string;
  bucket: string;
  key: string;
}

/** A referential larger than this is refused (it is read into memory). */
export const MAX_REFERENTIAL_BYTES = 32 * 1024 * 1024;

const SCHEMES: Record<string, 'gcs' | 's3'> = { gs: 'gcs', s3: 's3' };

export function isReferentialUri(location: string): boolean {
  return /^(gs|s3):\/\//i.test(location);
}

/** Splits `gs://bucket/key` or `s3://bucket/key`; throws ConfigInvalidError for anything else. */
export function parseReferentialUri(uri: string): { backend: 'gcs' | 's3'; bucket: string; key: string } {
  const m = /^([a-z0-9]+):\/\/([^/]+)\/(.+)$/i.exec(uri);
  const backend = m ? SCHEMES[m[1]!.toLowerCase()] : undefined;
  if (!m || !backend) {
    throw new ConfigInvalidError(
      'routes',
      `expected gs://BUCKET/KEY or s3://BUCKET/KEY, got ${JSON.stringify(uri)}`,
      {
        option: 'routes',
        value: uri,
      },
    );
  }
  return { backend, bucket: m[2]!, key: m[3]! };
}

/**
 * The project and object of a remote referential. `routesProject` must name
 * a configured project whose backend matches the URI's scheme.
 */
export function resolveRemoteReferential(
  uri: string,
  projects: Record<string, ProjectConfig>,
  routesProject: string | undefined,
): RemoteReferential {
  const { backend, bucket, key } = parseReferentialUri(uri);
  const fail = (message: string): never => {
    throw new ConfigInvalidError('routesProject', message, { option: 'routesProject', routes: uri });
  };
  if (routesProject === undefined) {
    const candidates = Object.entries(projects)
      .filter(([, p]) => p.backend === backend)
      .map(([name]) => name);
    return fail(
      `routes ${uri} is in a bucket: expected \`routesProject\` naming the ${backend} project that holds it` +
        (candidates.length
          ? ` (one of ${candidates.join(', ')})`
          : `, got no ${backend} project in \`projects\``),
    );
  }
  const project = projects[routesProject];
  if (!project) {
    return fail(
      `expected \`routesProject\` to name a project of \`projects\`, got ${JSON.stringify(routesProject)} (known: ${Object.keys(projects).join(', ') || 'none'})`,
    );
  }
  if (project.backend !== backend) {
    return fail(
      `routes ${uri} needs a ${backend} project, but project \`${routesProject}\` has backend \`${project.backend}\``,
    );
  }
  return { uri, backend, project: routesProject, bucket, key };
}

/** The referential object's current generation (GCS generation, S3 version id or ETag); undefined when absent. */
export async function remoteVersion(store: ObjectStore, ref: RemoteReferential): Promise<string | undefined> {
  return (await store.stat(ref.bucket, ref.key))?.generation;
}

/** Reads the referential object as UTF-8 text, pinned to the generation it stats at. */
export async function readRemoteText(
  store: ObjectStore,
  ref: RemoteReferential,
): Promise<{ text: string; version: string }> {
  const info = await store.stat(ref.bucket, ref.key);
  if (!info) throw new ReferentialMissingError(ref.uri);
  if (info.size > MAX_REFERENTIAL_BYTES) throw tooLarge(ref, info.size);
  const body = await store.read(ref.bucket, ref.key, { generation: info.generation });
  return { text: await textOf(body, ref), version: info.generation };
}

async function textOf(body: Readable, ref: RemoteReferential): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_REFERENTIAL_BYTES) {
      body.destroy();
      throw tooLarge(ref, size);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(ref: RemoteReferential, size: number): PermanentError {
  return new PermanentError(
    'E_REFERENTIAL_INVALID',
    `[switchyard] [referential] ${ref.uri}: expected at most ${MAX_REFERENTIAL_BYTES} bytes, got ${size}`,
    { source: ref.uri, size },
  );
}
