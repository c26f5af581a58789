export type { ConflictPolicy, RawRow, Referential, Route, RouteMatch, TemplateContext } from './types.js';
export {
  formatOf,
  loadReferentialFile,
  loadReferentialFile as readReferentialRows,
  loadReferentialText,
  type ReferentialFormat,
} from './load.js';
export { formatProblem, validateRows, type ValidateOptions } from './validate.js';
export { bucketByName, localBucketIdentity, type BucketIdentity } from './bucket-identity.js';
export { OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './validate-row.js';
export {
  BUILTIN_PLACEHOLDERS,
  expandDirectory,
  normalizeDirectory,
  parseTemplate,
  placeholdersOf,
} from './template.js';
export { compileMatcher, type RouteMatcher } from './matcher.js';
export { compileReferential, explainName, loadReferential, type ExplainedRoute } from './referential.js';
