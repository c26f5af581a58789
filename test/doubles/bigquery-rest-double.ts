/**
 * TEST DOUBLE — not a BigQuery emulator.
 *
 * A node:http server implementing only the BigQuery REST API (v2) calls the
 * bq:// referential reader makes through @google-cloud/bigquery: tables.get
 * (`GET …/projects/P/datasets/D/tables/T`: schema, etag, lastModifiedTime,
 * numRows) and tabledata.list (`GET …/tables/T/data`, pages of `pageSize`
 * rows chained by an opaque `pageToken`, cells as the API writes them: text
 * or null). Paths are served with or without the `/bigquery/v2` prefix (the
 * SDK adds it to `apiEndpoint`, not to `BIGQUERY_EMULATOR_HOST`). No auth, no
 * queries, no jobs, no datasets API. A table set again gets a new etag and
 * lastModifiedTime, as a write does; a table can be made to answer 403.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleField {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
}

export type DoubleCell = string | number | boolean | null;

export interface BigQueryRestDouble {
  /** Pass as `BIGQUERY_EMULATOR_HOST` or the SDK's `apiEndpoint`. */
  endpoint: string;
  /** Requests per operation: `tables.get`, `tabledata.list`. */
  calls: Record<string, number>;
  /** Creates or replaces a table (`PROJECT.DATASET.TABLE`); rows are cells in schema order. */
  setTable(id: string, fields: DoubleField[], rows: DoubleCell[][]): void;
  /** Deletes a table: both calls answer 404. */
  dropTable(id: string): void;
  /** Every call on the table answers 403 accessDenied. */
  deny(id: string): void;
  /** Rows per tabledata.list page (default 1000). */
  pageSize: number;
  /** Called after each tabledata.list page is answered (a test changes the table between pages). */
  onPage: ((table: string) => void) | undefined;
  stop(): Promise<void>;
}

interface StoredTable {
  fields: DoubleField[];
  rows: DoubleCell[][];
  modified: number;
  generation: number;
  denied: boolean;
}

const TABLE_PATH = /^(?:\/bigquery\/v2)?\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)(\/data)?$/;

export async function startBigQueryRestDouble(): Promise<BigQueryRestDouble> {
  const tables = new Map<string, StoredTable>();
  const calls: Record<string, number> = {};
  let clock = Date.UTC(2026, 0, 1);
  const double = {
    endpoint: '',
    calls,
    pageSize: 1000,
    onPage: undefined,
    setTable(id: string, fields: DoubleField[], rows: DoubleCell[][]) {
      const previous = tables.get(id);
      clock += 1000;
      tables.set(id, {
        fields,
        rows: rows.map((r) => [...r]),
        modified: clock,
        generation: (previous?.generation ?? 0) + 1,
        denied: previous?.denied ?? false,
      });
    },
    dropTable(id: string) {
      tables.delete(id);
    },
    deny(id: string) {
      const table = tables.get(id);
      if (table) table.denied = true;
    },
  } as Omit<BigQueryRestDouble, 'stop'>;

  const server = createServer((req, res) => handle(req, res));
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const m = TABLE_PATH.exec(url.pathname);
    if (req.method !== 'GET' || !m)
      return fail(res, 400, 'invalid', `not served by the double: ${req.method} ${url.pathname}`);
    const operation = m[4] ? 'tabledata.list' : 'tables.get';
    calls[operation] = (calls[operation] ?? 0) + 1;
    const [project, dataset, tableId] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [
      string,
      string,
      string,
    ];
    const id = `${project}.${dataset}.${tableId}`;
    const table = tables.get(id);
    if (!table) return fail(res, 404, 'notFound', `Not found: Table ${project}:${dataset}.${tableId}`);
    if (table.denied)
      return fail(
        res,
        403,
        'accessDenied',
        `Access Denied: Table ${project}:${dataset}.${tableId}: Permission bigquery.tables.get denied`,
      );
    if (operation === 'tables.get') return sendJson(res, 200, tableJson(project, dataset, tableId, table));
    sendJson(res, 200, pageJson(table, url.searchParams, double.pageSize));
    double.onPage?.(id);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...double,
    get pageSize() {
      return double.pageSize;
    },
    set pageSize(n: number) {
      double.pageSize = n;
    },
    get onPage() {
      return double.onPage;
    },
    set onPage(hook: ((table: string) => void) | undefined) {
      double.onPage = hook;
    },
    get endpoint() {
      return double.endpoint;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function tableJson(
  project: string,
  dataset: string,
  tableId: string,
  table: StoredTable,
): Record<string, unknown> {
  return {
    kind: 'bigquery#table',
    id: `${project}:${dataset}.${tableId}`,
    etag: `etag-${table.generation}`,
    tableReference: { projectId: project, datasetId: dataset, tableId },
    schema: { fields: table.fields.map((f) => ({ mode: 'NULLABLE', ...f })) },
    numRows: String(table.rows.length),
    creationTime: String(Date.UTC(2026, 0, 1)),
    lastModifiedTime: String(table.modified),
    type: 'TABLE',
  };
}

/** One page of tabledata.list; the token is the next row's offset with the generation it belongs to. */
function pageJson(table: StoredTable, query: URLSearchParams, pageSize: number): Record<string, unknown> {
  const token = query.get('pageToken');
  const start = token ? Number(token.split(':')[1]) : 0;
  const max = Math.min(pageSize, Number(query.get('maxResults') ?? pageSize) || pageSize);
  const slice = table.rows.slice(start, start + max);
  const next = start + slice.length;
  return {
    kind: 'bigquery#tableDataList',
    etag: `etag-${table.generation}`,
    totalRows: String(table.rows.length),
    rows: slice.map((row) => ({ f: row.map((v) => ({ v: v === null ? null : String(v) })) })),
    ...(next < table.rows.length ? { pageToken: `${table.generation}:${next}` } : {}),
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(value));
}

function fail(res: ServerResponse, status: number, reason: string, message: string): void {
  sendJson(res, status, { error: { code: status, message, errors: [{ reason, message }], status: reason } });
}
