import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type RuntimeConfig } from '../../src/config/load.js';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';
import { FAUXQS_ACCESS_KEY_ENV, FAUXQS_SECRET_KEY_ENV, startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { Workspace } from '../helpers/workspace.js';
import { loadReferentialText, validateRows } from '../../src/referential/index.js';
import { referentialOf } from '../../src/referential/referential.js';
import type { Referential } from '../../src/referential/types.js';

export const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action';

/** The referential of `csv` as if `validate` had been bypassed: for the router's own refusals. */
export function bypassedReferential(csv: string): Referential {
  return referentialOf(
    validateRows(loadReferentialText(csv, 'routes.csv'), { source: 'routes.csv' }).routes,
    'routes.csv',
  );
}

/** fauxqs (a real S3 protocol server, child process) and the GCS JSON API double, shared by one test file. */
export interface Cloud {
  fauxqs: Fauxqs;
  gcs: GcsJsonApiDouble;
  s3: S3Client;
  stop(): Promise<void>;
}

export async function startCloud(): Promise<Cloud> {
  const [fauxqs, gcs] = await Promise.all([
    startFauxqs(),
    startGcsJsonApiDouble({ rewriteChunkBytes: 256 * 1024 }),
  ]);
  const s3 = new S3Client({
    region: fauxqs.region,
    endpoint: fauxqs.endpoint,
    forcePathStyle: true,
    credentials: fauxqs.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    fauxqs,
    gcs,
    s3,
    async stop() {
      s3.destroy();
      await Promise.all([fauxqs.stop(), gcs.stop()]);
    },
  };
}

/** A bucket name unique to this run (lowercase, as S3 wants). */
export function bucketName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * switchyard.yaml mapping projects to backends: `src` and `lake` on fauxqs
 * (same endpoint and credentials: server-side copies), `fin` and `arch` on
 * the GCS double; `land`, `out` and `archive` are local folders under data/
 * (once projects are declared, an undeclared one is refused).
 */
export function cloudYaml(cloud: Cloud, extra = ''): string {
  const s3 = (name: string) => `  ${name}:
    backend: s3
    endpoint: "${cloud.fauxqs.endpoint}"
    region: ${cloud.fauxqs.region}
    forcePathStyle: true
    accessKeyIdEnv: ${FAUXQS_ACCESS_KEY_ENV}
    secretAccessKeyEnv: ${FAUXQS_SECRET_KEY_ENV}
    partSizeBytes: 5242880
`;
  const gcs = (name: string) => `  ${name}:
    backend: gcs
    projectId: p
    apiEndpoint: "${cloud.gcs.endpoint}"
`;
  const folders = ['land', 'out', 'archive'].map((name) => `  ${name}: { backend: fs }\n`).join('');
  return `projects:\n${s3('src')}${s3('lake')}${gcs('fin')}${gcs('arch')}${folders}${extra}`;
}

/** A temp workspace with routes.csv, switchyard.yaml and the credential env vars the yaml names. */
export async function cloudWorkspace(cloud: Cloud, routesCsv: string, yamlExtra = ''): Promise<Workspace> {
  const ws = await Workspace.create(routesCsv);
  await writeFile(path.join(ws.dir, 'switchyard.yaml'), cloudYaml(cloud, yamlExtra));
  ws.env = { ...cloud.fauxqs.env };
  return ws;
}

export async function configOf(
  ws: Workspace,
  flags: Parameters<typeof loadConfig>[0] = {},
): Promise<RuntimeConfig> {
  return loadConfig(flags, { ...ws.env }, ws.dir);
}

export async function removeLedger(ws: Workspace): Promise<void> {
  for (const suffix of ['', '-wal', '-shm'])
    await rm(path.join(ws.dir, '.switchyard', `ledger.db${suffix}`), { force: true });
}

export async function s3Bucket(cloud: Cloud, prefix: string): Promise<string> {
  const bucket = bucketName(prefix);
  await cloud.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function s3Put(
  cloud: Cloud,
  bucket: string,
  key: string,
  body: Buffer | string,
): Promise<string> {
  const out = await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return (out.ETag ?? '').replace(/"/g, '');
}

export async function s3Get(cloud: Cloud, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const out = await cloud.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export async function s3Head(cloud: Cloud, bucket: string, key: string) {
  return cloud.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

export async function s3Keys(cloud: Cloud, bucket: string): Promise<string[]> {
  const out = await cloud.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

export interface ScanJson {
  routed: number;
  unrouted: number;
  failed: number;
  dead: number;
  skipped: number;
  listed: number;
  outcomes: Record<string, number>;
  deliveries: Array<{ source: string; route: string; destination: string; state: string; action: string }>;
  errors: Array<{ source: string; code: string; message: string }>;
}
