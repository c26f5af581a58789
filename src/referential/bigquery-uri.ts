import { ConfigInvalidError } from '../model/errors.js';

/** A referential kept in a BigQuery table: `bq://PROJECT.DATASET.TABLE`. */
export interface BigQueryTableRef {
  uri: string;
  /** The table's project (a domain-scoped one keeps its `DOMAIN:` prefix). */
  projectId: string;
  datasetId: string;
  tableId: string;
}

const PROJECT = /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]*[a-z0-9]$/;
const DATASET = /^[A-Za-z0-9_]{1,1024}$/;

export function isBigQueryUri(location: string): boolean {
  return /^bq:\/\//i.test(location);
}

/**
 * Splits `bq://PROJECT.DATASET.TABLE`; the last two dot-separated parts are
 * the dataset and the table, the rest the project (so `example.com:p` works).
 * Anything else throws ConfigInvalidError (E_CONFIG_INVALID) with the URI.
 */
export function parseBigQueryUri(uri: string): BigQueryTableRef {
  const path = uri.replace(/^bq:\/\//i, '');
  const parts = path.split('.');
  const tableId = parts.pop() ?? '';
  const datasetId = parts.pop() ?? '';
  const projectId = parts.join('.');
  const bad = (what: string): never => {
    throw new ConfigInvalidError(
      'routes',
      `expected bq://PROJECT.DATASET.TABLE, got ${JSON.stringify(uri)}: ${what}`,
      {
        option: 'routes',
        value: uri,
      },
    );
  };
  if (!isBigQueryUri(uri) || parts.length === 0) return bad('three dot-separated names are needed');
  if (!PROJECT.test(projectId)) return bad(`${JSON.stringify(projectId)} is not a project id`);
  if (!DATASET.test(datasetId))
    return bad(`${JSON.stringify(datasetId)} is not a dataset id (letters, digits, _)`);
  // made here, not at load: a Unicode property class costs 0.3 ms to make, at every start
  const table = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}]{1,1024}$/u;
  if (!table.test(tableId)) return bad(`${JSON.stringify(tableId)} is not a table id`);
  return { uri, projectId, datasetId, tableId };
}
