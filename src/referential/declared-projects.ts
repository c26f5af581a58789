import { undeclaredProjectMessage, type Problem } from '../model/errors.js';
import { editDistance } from './columns.js';
import { fieldOf } from './validate-row.js';
import type { RawRow } from './types.js';

const PROJECT_COLUMNS = ['source_project', 'destination_project'] as const;
/** A declared project this close to an undeclared one is suggested for it. */
const SUGGESTION_DISTANCE = 2;

/**
 * An error `E_PROJECT_UNDECLARED` for each `source_project` or
 * `destination_project` that is not one of `declared`, with the nearest
 * declared name when within edit distance 2: once switchyard.yaml declares
 * its projects, a misspelt one would otherwise become a local folder (in a
 * cloud function, an ephemeral `/tmp` one) and a move would delete sources
 * into it.
 */
export function undeclaredProjectProblems(rows: readonly RawRow[], declared: readonly string[]): Problem[] {
  const known = new Set(declared);
  const problems: Problem[] = [];
  for (const row of rows) {
    for (const column of PROJECT_COLUMNS) {
      const project = fieldOf(row, column);
      if (project === '' || known.has(project)) continue;
      problems.push({
        file: row.file,
        line: row.line,
        column,
        message: `E_PROJECT_UNDECLARED: ${undeclaredProjectMessage(project, declared, nearestProject(project, declared))}`,
        severity: 'error',
      });
    }
  }
  return problems;
}

/** The declared project nearest to `project` (case-insensitive) when within the suggestion distance. */
export function nearestProject(project: string, declared: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of declared) {
    const distance = editDistance(project.toLowerCase(), name.toLowerCase());
    if (distance <= SUGGESTION_DISTANCE && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
