import path from 'node:path';
import { UsageError } from '../../../model/errors.js';
import { explain, type ExplainResult } from '../../../router/explain.js';
import type { Referential } from '../../../referential/types.js';
import { assertSafeKey, fileNameOf, formatLocation } from '../../../model/keys.js';
import { isObjectUri, resolveLocation } from '../../../referential/uri-location.js';
import type { StoreRegistry } from '../../../storage/registry.js';
import type { ExplainAnswer, ExplainResultView } from './api-types.js';

/**
 * Explains a file name typed in the dashboard: `PROJECT/BUCKET/KEY` when it
 * names a source bucket of the referential (or `gs://BUCKET/KEY`,
 * `s3://BUCKET/KEY`, mapped to their project as the CLI does), else a key looked up in every
 * source bucket whose rows match its file name (those that match nothing are
 * left out: no result means no row would take it).
 */
export async function explainInput(
  referential: Referential,
  stores: StoreRegistry,
  input: string,
  now = new Date(),
): Promise<ExplainAnswer> {
  const text = input.trim();
  if (!text)
    throw new UsageError('[switchyard] [dashboard] type a file name or PROJECT/BUCKET/KEY', { input });
  if (text.length > 1024)
    throw new UsageError('[switchyard] [dashboard] file name longer than 1024 characters', {
      length: text.length,
    });
  const sources = referential.sources();
  if (isObjectUri(text)) {
    const location = formatLocation(resolveLocation(text, referential, stores.projects));
    return {
      input: text,
      results: [shortFiles(await explain(referential, stores, location, now))],
      sources: sources.map((s) => `${s.project}/${s.bucket}`),
    };
  }
  const shown = sources.map((s) => `${s.project}/${s.bucket}`);
  const named = sources.find(
    (s) =>
      text.startsWith(`${s.project}/${s.bucket}/`) && text.length > s.project.length + s.bucket.length + 2,
  );
  if (named)
    return {
      input: text,
      results: [shortFiles(await explain(referential, stores, text, now))],
      sources: shown,
    };
  assertSafeKey(text);
  const name = fileNameOf(text);
  const results: ExplainResultView[] = [];
  for (const source of sources) {
    if (referential.match(source.project, source.bucket, name).length === 0) continue;
    results.push(
      shortFiles(await explain(referential, stores, `${source.project}/${source.bucket}/${text}`, now)),
    );
  }
  return { input: text, results, sources: shown };
}

/** Referential files by base name: the page is readable without a token, the server's folders are nobody's business. */
function shortFiles(result: ExplainResult): ExplainResultView {
  return { ...result, matches: result.matches.map((m) => ({ ...m, file: path.basename(m.file) })) };
}
