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
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const unwatch = (dir: string): void => {
    for (const [d, w] of watchers) {
      if (d === dir || d.startsWith(dir + path.sep)) {
        w.close();
        watchers.delete(d);
      }
    }
  };

  const onEvent = (dir: string, name: string | null): void => {
    if (closed) return;
    if (!name) {
      handlers.onError(new Error(`[switchyard] [watch] event without a file name in ${dir}`));
      return;
    }
    if (handlers.ignore(name)) return;
    const full = path.join(dir, name);
    if (!watchers.has(full)) {
      handlers.onFile(full);
      return;
    }
    void fsp.lstat(full).then(
      (st) => {
        if (!st.isDirectory()) unwatch(full);
      },
      () => unwatch(full),
    );
  };

  const watchDir = async (dir: string, reportFiles: boolean): Promise<void> => {
    if (closed || watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: true }, (_type, name) => onEvent(dir, name));
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') handlers.onError(error);
      return;
    }
    watcher.on('error', (error) => {
      unwatch(dir);
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'EPERM') handlers.onError(error);
    });
    watchers.set(dir, watcher);
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') handlers.onError(error);
      return;
    }
    const subfolders: Promise<void>[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) subfolders.push(watchDir(full, reportFiles));
      else if (reportFiles && !handlers.ignore(entry.name)) handlers.onFile(full);
    }
    await Promise.all(subfolders);
  };

  await Promise.all(roots.map((root) => watchDir(root, false)));
  return {
    addFolder(dir) {
      if (roots.some((root) => dir.startsWith(root + path.sep))) void watchDir(dir, true);
    },
    async sync() {
      await Promise.all(roots.map((root) => watchDir(root, false)));
      const visit = async (dir: string): Promise<void> => {
        const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
        await Promise.all(
          entries
            .filter((e) => e.isDirectory())
            .map(async (e) => {
              const full = path.join(dir, e.name);
              if (!watchers.has(full)) await watchDir(full, false);
              else await visit(full);
            }),
        );
      };
      await Promise.all(roots.map(visit));
    },
    close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
    get folders() {
      return watchers.size;
    },
  };
}
