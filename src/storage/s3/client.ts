import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3ProjectConfig } from './config.js';
import { LeanS3Client, type LeanCredentials } from './lean-client.js';
import { LazyS3Client } from './sdk-client.js';
import { ConfigInvalidError } from '../../model/errors.js';
import type { StoreCapabilities } from '../types.js';

const MIB = 1024 * 1024;
/** S3's smallest part (all parts but the last). */
export const S3_MIN_PART_BYTES = 5 * MIB;
export const S3_MAX_PARTS = 10_000;
export const DEFAULT_PART_BYTES = 8 * MIB;
export const DEFAULT_PART_COPY_THRESHOLD_BYTES = 5 * 1024 * MIB;
export const DEFAULT_DESTINATION_LISTING_MS = 2000;

/** Everything the S3 store needs, resolved once from the project config and the env. */
export interface S3Settings {
  /** The SDK's client, for what the lean client does not do (reads, uploads, part copies, versions). */
  sdk: LazyS3Client;
  /** HeadObject, CopyObject, DeleteObject, ListObjectsV2: the routing hot path (lean-client.ts). */
  lean: LeanS3Client;
  capabilities: StoreCapabilities;
  /** Stores with equal identities can copy between each other server-side. */
  identity: string;
  partSizeBytes: number;
  partCopyThresholdBytes: number;
  uploadQueueSize: number;
  /** How long a listing of a destination folder stands for a look at each key in it (0: never); see listed-keys.ts. */
  destinationListingMs: number;
  storageClass?: string;
  serverSideEncryption?: S3ProjectConfig['serverSideEncryption'];
  sseKmsKeyId?: string;
}

function envValue(
  project: string,
  env: Record<string, string | undefined>,
  option: string,
  name: string | undefined,
): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  if (!value) {
    throw new ConfigInvalidError(
      `project ${project}`,
      `[s3] option \`${option}\` names env var ${name}, which is not set`,
      {
        project,
        option,
        env: name,
      },
    );
  }
  return value;
}

export function s3Capabilities(config: S3ProjectConfig): StoreCapabilities {
  const onAws = config.endpoint === undefined;
  const c = config.capabilities ?? {};
  return {
    serverSideCopy: true,
    copyUsesProcess: false,
    conditionalWrite: c.conditionalWrite ?? onAws,
    versioning: c.versioning ?? false,
    checksumHeaders: c.checksumHeaders ?? onAws,
    partCopy: c.partCopy ?? onAws,
    rename: false,
    metadata: true,
    listingAsLook: false,
  };
}

/**
 * The lean client for the hot path, on the SDK client's endpoint, region and
 * credentials: the static ones as given, else the SDK client's provider
 * (profile, default chain), resolved and refreshed the same way.
 */
function leanClientFor(
  config: S3ProjectConfig,
  sdk: LazyS3Client,
  credentials: LeanCredentials | undefined,
): LeanS3Client {
  return new LeanS3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.forcePathStyle !== undefined ? { forcePathStyle: config.forcePathStyle } : {}),
    credentials: credentials ?? (async () => (await sdk.get()).config.credentials()),
  });
}

/**
 * Builds the S3 clients (the lean one, the SDK's on first use). Credentials are only ever referenced: env var names
 * resolved against `env`, a shared-config profile, or the SDK's default chain.
 */
export function resolveS3Settings(
  project: string,
  config: S3ProjectConfig,
  env: Record<string, string | undefined>,
): S3Settings {
  const accessKeyId = envValue(project, env, 'accessKeyIdEnv', config.accessKeyIdEnv);
  const secretAccessKey = envValue(project, env, 'secretAccessKeyEnv', config.secretAccessKeyEnv);
  const sessionToken = envValue(project, env, 'sessionTokenEnv', config.sessionTokenEnv);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigInvalidError(
      `project ${project}`,
      '[s3] `accessKeyIdEnv` and `secretAccessKeyEnv` must be given together',
      { project },
    );
  }
  const capabilities = s3Capabilities(config);
  const clientConfig: S3ClientConfig = {
    region: config.region,
    requestChecksumCalculation: capabilities.checksumHeaders ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation: capabilities.checksumHeaders ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
  };
  if (config.endpoint) clientConfig.endpoint = config.endpoint;
  if (config.forcePathStyle !== undefined) clientConfig.forcePathStyle = config.forcePathStyle;
  if (accessKeyId && secretAccessKey) {
    clientConfig.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  } else if (config.profile) {
    clientConfig.profile = config.profile;
  }
  const identity = JSON.stringify({
    endpoint: config.endpoint ?? 'aws',
    region: config.region,
    credentials: accessKeyId
      ? `key:${accessKeyId}`
      : config.profile
        ? `profile:${config.profile}`
        : 'default-chain',
  });
  const sdk = new LazyS3Client(clientConfig);
  const settings: S3Settings = {
    sdk,
    lean: leanClientFor(config, sdk, clientConfig.credentials as LeanCredentials | undefined),
    capabilities,
    identity,
    partSizeBytes: config.partSizeBytes ?? DEFAULT_PART_BYTES,
    partCopyThresholdBytes: config.partCopyThresholdBytes ?? DEFAULT_PART_COPY_THRESHOLD_BYTES,
    uploadQueueSize: config.uploadQueueSize ?? 2,
    // a server enforcing If-None-Match needs neither a look nor a listing before a copy
    destinationListingMs: capabilities.conditionalWrite
      ? 0
      : (config.destinationListingMs ?? DEFAULT_DESTINATION_LISTING_MS),
  };
  if (config.storageClass) settings.storageClass = config.storageClass;
  if (config.serverSideEncryption) settings.serverSideEncryption = config.serverSideEncryption;
  if (config.sseKmsKeyId) settings.sseKmsKeyId = config.sseKmsKeyId;
  return settings;
}
