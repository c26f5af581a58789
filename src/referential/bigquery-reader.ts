import { createRequire } from 'node:module';
import type { BigQueryOptions, Table } from '@google-cloud/bigquery';
import {
  PermanentError,
  ReferentialInvalidError,
  ReferentialMissingError,
  TransientError,
} from '../model/errors.js';
import { referentialFields, rawRowsOf, type BigQueryField, type BigQueryRawRow } from './bigquery-rows.js';
import type { BigQueryTableRef } from './bigquery-uri.js';
import { MAX_REFERENTIAL_BYTES } from './remote.js';
import type { RawRow } from './types.js';

/** How the table is reached: Google's endpoint with Application Default Credentials, or a key file, or an emulator. */
export interface BigQueryAccess {
  /** A service-account key file (the `keyFile` of the gcs project `routesProject` names). */
  keyFile?: string;
  /**
   * `BIGQUERY_EMULATOR_HOST`, e.g. `http://127.0.0.1:9050`: requests go there
   * unauthenticated (a local emulator or test double).
   */
  emulatorHost?: string;
}

/** What tables.get says of the table: its version and schema. */
export interface BigQueryTableState {
  version: string;
  fields: BigQueryField[];
}

/**
 * Reads one table through one client, created (and the SDK loaded) on the
 * first call: start-up without a bq:// referential never loads it.
 */
export class BigQueryTableReader {
  private table: Promise<Table> | undefined;

  constructor(
    readonly ref: BigQueryTableRef,
    private readonly access: BigQueryAccess = {},
  ) {}

  /**
   * The table's version — `lastModifiedTime` and etag from tables.get: they
   * change when rows are written or the table is replaced — and schema;
   * undefined when there is no such table.
   */
  async state(): Promise<BigQueryTableState | undefined> {
    const table = await this.open();
    try {
      const [metadata] = (await table.getMetadata()) as unknown as [
        { etag?: string; lastModifiedTime?: string; schema?: { fields?: BigQueryField[] } },
      ];
      return {
        version: `${metadata.lastModifiedTime ?? ''}/${metadata.etag ?? ''}`,
        fields: metadata.schema?.fields ?? [],
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw bigQueryError(error, 'tables.get', this.ref);
    }
  }

  /**
   * Every row of the table, paging through tabledata.list, between two
   * tables.get that must agree (else undefined: the table changed while
   * read, the next check tries again). ReferentialMissingError when the
   * table is absent; more than MAX_REFERENTIAL_BYTES of values is refused.
   */
  async rows(): Promise<{ rows: RawRow[]; version: string } | undefined> {
    const { ref } = this;
    const before = await this.state();
    if (!before) throw new ReferentialMissingError(ref.uri);
    const fields = referentialFields(ref.uri, before.fields);
    const table = await this.open();
    const rows: RawRow[] = [];
    let bytes = 0;
    let pageToken: string | undefined;
    do {
      const page = await listPage(table, ref, pageToken);
      const read = rawRowsOf(ref.uri, fields, page.rows, rows.length + 1);
      for (const row of read) for (const value of Object.values(row.fields)) bytes += value.length;
      if (bytes > MAX_REFERENTIAL_BYTES) throw tooLarge(ref, bytes);
      rows.push(...read);
      pageToken = page.pageToken;
    } while (pageToken);
    const after = await this.state();
    if (!after) throw new ReferentialMissingError(ref.uri);
    return after.version === before.version ? { rows, version: before.version } : undefined;
  }

  private open(): Promise<Table> {
    this.table ??= tableOf(this.ref, this.access).catch((error: unknown) => {
      this.table = undefined;
      throw error;
    });
    return this.table;
  }
}

async function listPage(
  table: Table,
  ref: BigQueryTableRef,
  pageToken: string | undefined,
): Promise<{ rows: BigQueryRawRow[]; pageToken?: string }> {
  try {
    const [rows, next] = (await table.getRows({
      autoPaginate: false,
      skipParsing: true,
      ...(pageToken ? { pageToken } : {}),
    })) as unknown as [BigQueryRawRow[] | undefined, { pageToken?: string } | null | undefined];
    return { rows: rows ?? [], ...(next?.pageToken ? { pageToken: next.pageToken } : {}) };
  } catch (error) {
    if (statusOf(error) === 404) throw new ReferentialMissingError(ref.uri, { cause: error });
    throw bigQueryError(error, 'tabledata.list', ref);
  }
}

const requireCjs = createRequire(import.meta.url);

/** The SDK, loaded on the first bq:// referential only (start-up time is measured). */
async function tableOf(ref: BigQueryTableRef, access: BigQueryAccess): Promise<Table> {
  const { BigQuery } = await import('@google-cloud/bigquery');
  const options: BigQueryOptions = { projectId: ref.projectId };
  if (access.emulatorHost) {
    options.apiEndpoint = access.emulatorHost;
    options.authClient = anonymousAuth();
  } else if (access.keyFile) {
    options.keyFilename = access.keyFile;
  }
  return new BigQuery(options).dataset(ref.datasetId, { projectId: ref.projectId }).table(ref.tableId);
}

/**
 * google-auth-library's PassThroughClient, which sends requests without
 * credentials, taken from the copy the SDK itself uses (it is not a
 * dependency of switchyard's own).
 */
function anonymousAuth(): NonNullable<BigQueryOptions['authClient']> {
  const fromSdk = createRequire(requireCjs.resolve('@google-cloud/bigquery'));
  const fromCommon = createRequire(fromSdk.resolve('@google-cloud/common'));
  const { PassThroughClient } = fromCommon('google-auth-library') as {
    PassThroughClient: new () => NonNullable<BigQueryOptions['authClient']>;
  };
  return new PassThroughClient();
}

function statusOf(error: unknown): number | undefined {
  const e = (error ?? {}) as { code?: unknown; response?: { statusCode?: unknown; status?: unknown } };
  for (const candidate of [e.code, e.response?.statusCode, e.response?.status]) {
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

/**
 * 401 / 403 → PermanentError `E_BACKEND_PERMANENT` (the reader needs
 * roles/bigquery.dataViewer on the table); 408 / 429 / 5xx / network →
 * TransientError `E_BACKEND`; other 4xx → `E_BACKEND_PERMANENT`. Each names
 * the URI and keeps the SDK error as `cause`.
 */
export function bigQueryError(error: unknown, operation: string, ref: BigQueryTableRef): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  const status = statusOf(error);
  const reason = (error as { message?: string } | undefined)?.message ?? String(error);
  const denied = status === 401 || status === 403;
  const message =
    `[switchyard] [bigquery] ${operation} ${ref.uri} failed${status ? ` (HTTP ${status})` : ''}: ${reason}` +
    (denied ? ' (expected roles/bigquery.dataViewer on the table for the credentials in use)' : '');
  const details = { source: ref.uri, operation, status };
  if (status === undefined || status >= 500 || status === 429 || status === 408)
    return new TransientError('E_BACKEND', message, details, { cause: error });
  return new PermanentError('E_BACKEND_PERMANENT', message, details, { cause: error });
}

function tooLarge(ref: BigQueryTableRef, bytes: number): ReferentialInvalidError {
  return new ReferentialInvalidError(ref.uri, [
    {
      file: ref.uri,
      line: 1,
      column: '',
      message: `expected at most ${MAX_REFERENTIAL_BYTES} bytes of values, got at least ${bytes}`,
      severity: 'error',
    },
  ]);
}
