import { ConfigInvalidError } from '../../model/errors.js';
import { isValidSchemaName } from './schema.js';

/** Splits `?schema=` off a PostgreSQL URL and validates it. */
export function parsePostgresUrl(
  url: string,
  schemaOption?: string,
): { connectionString: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigInvalidError(
      'ledger',
      `invalid PostgreSQL URL: ${redactUrl(url)} (${(error as Error).message})`,
      { url: redactUrl(url) },
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigInvalidError(
      'ledger',
      `expected a postgres:// or postgresql:// URL, got ${redactUrl(url)}`,
      { url: redactUrl(url) },
    );
  }
  const schema = schemaOption ?? (parsed.searchParams.get('schema') || undefined);
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !isValidSchemaName(schema)) {
    throw new ConfigInvalidError(
      'ledger',
      `invalid schema name ${JSON.stringify(schema)}: expected lower-case letters, digits and _ (at most 63)`,
      {
        schema,
      },
    );
  }
  return { connectionString: parsed.toString(), schema };
}

/** The URL with its password masked, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
