import { watch, promises as fsp, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { errorCode } from '../../model/errors.js';

export interface TreeHandlers {
  /**
   * Something appeared or changed at this path: a file, or a new folder (the
   * caller stats it and calls `addFolder` for a folder).
   */
  onFile(file: string): void;
  /** A watch could not be set up or failed (watch limit, a vanished folder): the caller should rescan. */
  onError(error: unknown): void;
  /** File names never reported (temp names). */
  ignore(name: string): boolean;
}

export interface TreeWatcher {
  /** Watches a folder that appeared (and its sub-folders), reporting the files already in it. */
  addFolder(dir: string): void;
  /** Attaches watches to folders that have none (after a watch limit error, or folders created while events were lost). */
  sync(): Promise<void>;
  close(): void;
  readonly folders: number;
}

/**
 * Watches folders recursively with one fs.watch (inotify on Linux) per
 * folder, never per file, and reports paths from each event's file name:
 * O(1) work per event however many files a folder holds (chokidar re-reads
 * and lstats a whole folder on every event, which a burst of thousands of
 * files into one folder turns quadratic). A folder created later is watched
 * once the caller reports it (`addFolder`), and the files already in it are
 * reported. Symlinked folders are not
 * followed. Events the kernel drops (inotify queue overflow) are not
 * reported by Node: the caller rescans periodically and after bursts.
 */
export async function watchTree(roots: readonly string[], handlers: TreeHandlers): Promise<TreeWatcher> {
  const tree: Tree = { roots, handlers, watchers: new Map(), closed: false };
  await Promise.all(roots.map((root) => watchDir(tree, root, false)));
  return {
    addFolder(dir) {
      if (roots.some((root) => dir.startsWith(root + path.sep))) void watchDir(tree, dir, true);
    },
    sync: () => syncTree(tree),
    close() {
      tree.closed = true;
      for (const w of tree.watchers.values()) w.close();
      tree.watchers.clear();
    },
    get folders() {
      return tree.watchers.size;
    },
  };
}

/** The state one `watchTree` shares between its helpers: one watcher per watched folder. */
interface Tree {
  readonly roots: readonly string[];
  readonly handlers: TreeHandlers;
  readonly watchers: Map<string, FSWatcher>;
  closed: boolean;
}

/** Closes the watches of a folder and of every folder under it. */
function unwatch(tree: Tree, dir: string): void {
  for (const [d, w] of tree.watchers) {
    if (d === dir || d.startsWith(dir + path.sep)) {
      w.close();
      tree.watchers.delete(d);
    }
  }
}

/**
 * One fs.watch event in `dir`: a name that is not a watched folder is
 * reported as a file; a watched folder's event may mean it went away (or
 * became a file), so its watches are dropped if it is no longer a folder.
 */
function onEvent(tree: Tree, dir: string, name: string | null): void {
  if (tree.closed) return;
  if (!name) {
    tree.handlers.onError(new Error(`[switchyard] [watch] event without a file name in ${dir}`));
    return;
  }
  if (tree.handlers.ignore(name)) return;
  const full = path.join(dir, name);
  if (!tree.watchers.has(full)) {
    tree.handlers.onFile(full);
    return;
  }
  void fsp.lstat(full).then(
    (st) => {
      if (!st.isDirectory()) unwatch(tree, full);
    },
    () => unwatch(tree, full),
  );
}

/** Watches `dir` (not its sub-folders); false when it could not be watched (gone, not a folder, or an error reported). */
function attachWatch(tree: Tree, dir: string): boolean {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: true }, (_type, name) => onEvent(tree, dir, name));
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') tree.handlers.onError(error);
    return false;
  }
  watcher.on('error', (error) => {
    unwatch(tree, dir);
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'EPERM') tree.handlers.onError(error);
  });
  tree.watchers.set(dir, watcher);
  return true;
}

/** Watches `dir` and its sub-folders, reporting the files found in them when `reportFiles` (a folder that appeared). */
async function watchDir(tree: Tree, dir: string, reportFiles: boolean): Promise<void> {
  if (tree.closed || tree.watchers.has(dir)) return;
  if (!attachWatch(tree, dir)) return;
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') tree.handlers.onError(error);
    return;
  }
  const subfolders: Promise<void>[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) subfolders.push(watchDir(tree, full, reportFiles));
    else if (reportFiles && !tree.handlers.ignore(entry.name)) tree.handlers.onFile(full);
  }
  await Promise.all(subfolders);
}

/** Re-attaches the roots' watches, then walks the watched folders and watches any sub-folder that has none. */
async function syncTree(tree: Tree): Promise<void> {
  await Promise.all(tree.roots.map((root) => watchDir(tree, root, false)));
  const visit = async (dir: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries
        .filter((e) => e.isDirectory())
        .map(async (e) => {
          const full = path.join(dir, e.name);
          if (!tree.watchers.has(full)) await watchDir(tree, full, false);
          else await visit(full);
        }),
    );
  };
  await Promise.all(tree.roots.map(visit));
}
