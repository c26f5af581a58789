import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Observation } from './model.js';

/** Reads the disk without following any link: the data root's files and links, and the outside folder's state. */
export async function observe(dataRoot: string, outside: string): Promise<Observation> {
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  await walk(dataRoot, '', async (rel, full, kind) => {
    if (kind === 'file') files.set(rel, (await readFile(full)).toString('hex'));
    else links.set(rel, await readlink(full));
  });
  const state = new Map<string, string>();
  await walk(outside, '', async (rel, full, kind) => {
    const st = await lstat(full, { bigint: true });
    const what = kind === 'file' ? (await readFile(full)).toString('hex') : await readlink(full);
    state.set(rel, `${kind}:${what}:${st.mtimeNs}:${st.ino}`);
  });
  return { files, links, outside: state };
}

async function walk(
  dir: string,
  prefix: string,
  visit: (rel: string, full: string, kind: 'file' | 'link') => Promise<void>,
): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, rel, visit);
    else if (e.isSymbolicLink()) await visit(rel, full, 'link');
    else if (e.isFile()) await visit(rel, full, 'file');
  }
}
