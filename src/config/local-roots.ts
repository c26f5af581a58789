import { statSync } from 'node:fs';
import { ConfigInvalidError } from '../model/errors.js';
import { localRootOf } from '../storage/backends.js';
import type { RuntimeConfig } from './load.js';

/** A folder local-folder projects live under, and the config key that sets it. */
export interface LocalRoot {
  path: string;
  /** `data`, or `projects.NAME.root`. */
  option: string;
  /** The projects under it (`*`: any undeclared project). */
  projects: string[];
}

/**
 * The folders the config's local-folder projects live under: the data root
 * when undeclared projects are local folders, or when an `fs` project gives
 * no `root`; each other `fs` project's own `root`. None when every project
 * is in a bucket (gcs, s3) or in memory.
 */
export function localRoots(
  config: Pick<RuntimeConfig, 'dataRoot' | 'projects' | 'declaredOnly'>,
): LocalRoot[] {
  const roots = new Map<string, LocalRoot>();
  const add = (folder: string, option: string, project: string): void => {
    const root = roots.get(folder);
    if (root) root.projects.push(project);
    else roots.set(folder, { path: folder, option, projects: [project] });
  };
  if (!config.declaredOnly) add(config.dataRoot, 'data', '*');
  for (const [name, project] of Object.entries(config.projects)) {
    const root = localRootOf(project, config.dataRoot);
    if (root === undefined) continue;
    add(root, root === config.dataRoot ? 'data' : `projects.${name}.root`, name);
  }
  return [...roots.values()];
}

/**
 * Throws ConfigInvalidError naming the first local root that is not an
 * existing folder: a mistyped `--data` would otherwise scan nothing and
 * report `routed 0`, and a watcher or a delivery would create folders in the
 * wrong place.
 */
export function checkLocalRoots(config: Pick<RuntimeConfig, 'dataRoot' | 'projects' | 'declaredOnly'>): void {
  for (const root of localRoots(config)) {
    const problem = folderProblem(root.path);
    if (problem === undefined) continue;
    const what =
      root.option === 'data'
        ? `data root ${root.path}`
        : `project \`${root.projects[0]}\`, key \`root\`: ${root.path}`;
    const hint =
      root.option === 'data'
        ? 'expected the folder holding PROJECT/BUCKET/ folders (set by --data or `data:` in switchyard.yaml; default ./data)'
        : "expected the folder holding the project's BUCKET/ folders";
    throw new ConfigInvalidError(what, `${problem}: ${hint}`, {
      path: root.path,
      option: root.option,
      projects: root.projects,
    });
  }
}

function folderProblem(folder: string): string | undefined {
  try {
    return statSync(folder).isDirectory() ? undefined : 'not a folder';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  }
}
