import { localBucketIdentity } from './bucket-identity.js';
import type { ValidateOptions } from './validate.js';
import { declaredProjects, type RuntimeConfig } from '../config/load.js';
import type { ObjectStore } from '../storage/types.js';
import type { ReferentialAccess } from './readers.js';

/**
 * What the referential is checked against under `config`: which local
 * bucket folders are one (by real path), and the only projects rows may
 * name when switchyard.yaml declares its projects (or a cloud entry point
 * runs), and the Parquet schemas whose route_id must name a csv-to-parquet row. Every command and mode that loads the referential uses these.
 */
export function referentialChecks(
  config: Pick<RuntimeConfig, 'dataRoot' | 'projects' | 'declaredOnly' | 'parquet'>,
): Pick<ValidateOptions, 'bucketIdentity' | 'declaredProjects' | 'parquetSchemas'> {
  const declared = declaredProjects(config);
  return {
    bucketIdentity: localBucketIdentity({ dataRoot: config.dataRoot, projects: config.projects }),
    ...(declared ? { declaredProjects: declared } : {}),
    ...(config.parquet ? { parquetSchemas: config.parquet.schemas } : {}),
  };
}

/** How `config` reaches a remote referential: `routesProject`, its projects' stores, `BIGQUERY_EMULATOR_HOST`. */
export function referentialAccess(
  config: Pick<RuntimeConfig, 'routesProject' | 'projects' | 'env'>,
  storeFor: (project: string) => Promise<ObjectStore>,
): ReferentialAccess {
  return {
    ...(config.routesProject !== undefined ? { project: config.routesProject } : {}),
    projects: config.projects,
    storeFor,
    env: config.env,
  };
}
