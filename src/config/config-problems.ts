import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../model/errors.js';
import { projectSchemaOf } from '../storage/project-schema.js';
import { configFileSchema, type ConfigFile } from './schema.js';

type Path = ReadonlyArray<PropertyKey>;

/** The fields of a project of backend `name` (undefined for a backend switchyard does not know). */
function projectShape(name: unknown): Record<string, z.ZodType> | undefined {
  return projectSchemaOf(name)?.shape;
}

/** The keys of the object schema `schema`, looking through optional and default wrappers. */
function objectKeys(schema: z.ZodType | undefined): string[] {
  let inner: unknown = schema;
  while (inner && typeof inner === 'object' && 'unwrap' in inner && typeof inner.unwrap === 'function')
    inner = inner.unwrap();
  return inner && typeof inner === 'object' && 'shape' in inner ? Object.keys(inner.shape as object) : [];
}

/** Where an inlined secret should go instead: the key that references it. */
const SECRET_HINTS: Record<string, string> = {
  accesskeyid: '`accessKeyIdEnv: ENV_VAR_NAME`',
  secretaccesskey: '`secretAccessKeyEnv: ENV_VAR_NAME`',
  sessiontoken: '`sessionTokenEnv: ENV_VAR_NAME`',
  credentials: '`keyFile: /path/to/key.json` (gcs) or `accessKeyIdEnv` / `secretAccessKeyEnv` (s3)',
  privatekey: '`keyFile: /path/to/key.json`',
  private_key: '`keyFile: /path/to/key.json`',
  password: 'an env var named by a `…Env` key',
  secret: 'an env var named by a `…Env` key',
  token: '`server.tokenEnv: ENV_VAR_NAME`',
};

/** One schema issue as `column` (dotted path) and a message naming the project and key. */
export interface ConfigIssue {
  path: PropertyKey[];
  column: string;
  message: string;
}

/** Describes zod issues of `configFileSchema` for a person: one entry per offending key. */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const known = knownKeysAt(issue.path, raw);
        const hint = SECRET_HINTS[key.toLowerCase()];
        out.push({
          path,
          column: columnOf(path),
          message:
            `${whereOf(path)}unknown key: expected one of ${known.join(', ') || '(none)'}` +
            (hint ? `; secrets are given by reference, never inline: use ${hint}` : ''),
        });
      }
      continue;
    }
    const path = [...issue.path];
    out.push({
      path,
      column: columnOf(path),
      message: `${whereOf(path)}${issueText(issue, valueAt(raw, path))}`,
    });
  }
  return out;
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  const got = value === undefined ? 'nothing' : JSON.stringify(value);
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? `missing: expected a ${issue.expected}`
        : `expected a ${issue.expected}, got ${got}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        return `expected one of ${issue.options.map(String).join(', ')}, got ${got}`;
      }
      return `${issue.message}, got ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, got ${got}`;
    case 'invalid_format':
      return `${issue.format === 'url' ? 'expected a URL (e.g. http://127.0.0.1:4443)' : issue.message}, got ${got}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message.replace(/^Too (small|big): /, '')}, got ${got}`;
    default:
      return issue.message;
  }
}

/** `project \`sales\`, key \`region\`: ` / `key \`server.port\`: `. */
function whereOf(path: Path): string {
  if (path[0] === 'projects' && path.length >= 2) {
    const rest = path.slice(2).map(String).join('.');
    return `project \`${String(path[1])}\`${rest ? `, key \`${rest}\`` : ''}: `;
  }
  return path.length ? `key \`${path.map(String).join('.')}\`: ` : '';
}

function columnOf(path: Path): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

function valueAt(raw: unknown, path: Path): unknown {
  let node = raw;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function knownKeysAt(path: Path, raw: unknown): string[] {
  const at = path.map(String).join('.');
  if (at === '') return Object.keys(configFileSchema.shape);
  if (at === 'server') return Object.keys(configFileSchema.shape.server.unwrap().shape);
  if (at === 'watch') return Object.keys(configFileSchema.shape.watch.unwrap().shape);
  if (at === 'server.oidc')
    return Object.keys(configFileSchema.shape.server.unwrap().shape.oidc.unwrap().shape);
  if (path[0] === 'projects' && path.length === 2) {
    const backend = (valueAt(raw, path) as { backend?: unknown } | undefined)?.backend;
    return Object.keys(projectShape(backend) ?? {});
  }
  if (path[0] === 'projects' && path.length === 3) {
    const backend = (valueAt(raw, path.slice(0, 2)) as { backend?: unknown } | undefined)?.backend;
    return objectKeys(projectShape(backend)?.[String(path[2])]);
  }
  return [];
}

export interface ConfigCheck {
  /** The parsed file, when it has no errors. */
  config?: ConfigFile;
  problems: Problem[];
  /** 1-based line of the node at `path` (or of its nearest present ancestor). */
  lineOf(path: Path): number;
}

/**
 * Checks switchyard.yaml text: YAML syntax, the schema (unknown keys, wrong
 * types, secrets given inline), `routes` / `routesProject` consistency, and
 * an s3 project that does not say its `region`. Each problem carries the line
 * of the offending key and its dotted path as `column`.
 */
export function checkConfigText(text: string, file: string): ConfigCheck {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : counter.linePos(offset).line);
  const lineOf = (path: Path) => lineAt(offsetOf(doc, path));
  const problem = (line: number, column: string, message: string): Problem => ({
    file,
    line,
    column,
    message,
    severity: 'error',
  });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) =>
        problem(lineAt(e.pos[0]), '(yaml)', `not valid YAML: ${e.message.split('\n')[0]}`),
      ),
      lineOf,
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  const problems: Problem[] = [];
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of describeConfigIssues(parsed.error.issues, raw)) {
      problems.push(problem(lineOf(issue.path), issue.column, issue.message));
    }
  }
  const projects = (raw as { projects?: unknown }).projects;
  if (projects && typeof projects === 'object') {
    for (const [name, project] of Object.entries(projects as Record<string, unknown>)) {
      const p = project as { backend?: unknown; region?: unknown } | null;
      if (p?.backend === 's3' && p.region === undefined) {
        problems.push(
          problem(
            lineOf(['projects', name]),
            `projects.${name}.region`,
            `project \`${name}\`, key \`region\`: missing: expected the bucket's region (e.g. eu-west-3); an unstated region silently becomes us-east-1`,
          ),
        );
      }
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { ...(parsed.success ? { config: parsed.data } : {}), problems, lineOf };
}

function offsetOf(doc: Document, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0];
  for (const key of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
    if (!pair) break;
    offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? offset;
    node = pair.value;
  }
  return offset;
}
