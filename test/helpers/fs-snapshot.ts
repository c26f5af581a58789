import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** What a file, folder or link under a tree is: compared before and after to prove nothing there changed. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mtimeNs: string;
  sha256?: string;
  target?: string;
}

/**
 * Every entry under `root` (never following links) with its mtime and, for
 * files, a SHA-256 of its bytes. With `folderTimes: false`, folders are
 * compared by what they hold, not by when an entry came and went.
 */
export async function snapshotTree(
  root: string,
  options: { folderTimes?: boolean } = {},
): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  const visit = async (dir: string): Promise<void> => {
    for (const name of await fsp.readdir(dir)) {
      const full = path.join(dir, name);
      const st = await fsp.lstat(full, { bigint: true });
      const rel = path.relative(root, full);
      if (st.isDirectory()) {
        out[rel] = { type: 'dir', mtimeNs: options.folderTimes === false ? '' : String(st.mtimeNs) };
        await visit(full);
      } else if (st.isFile()) {
        const sha256 = createHash('sha256')
          .update(await fsp.readFile(full))
          .digest('hex');
        out[rel] = { type: 'file', mtimeNs: String(st.mtimeNs), sha256 };
      } else if (st.isSymbolicLink()) {
        out[rel] = { type: 'symlink', mtimeNs: String(st.mtimeNs), target: await fsp.readlink(full) };
      } else {
        out[rel] = { type: 'other', mtimeNs: String(st.mtimeNs) };
      }
    }
  };
  await visit(root);
  return out;
}
