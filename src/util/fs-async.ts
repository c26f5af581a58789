import { readdir, readFile, stat, type BigIntStats, type Dirent } from 'node:fs';

// node:fs's callback calls, as promises, for what every run does: read the
// referential, look at its version, list folders. node:fs/promises (with the
// readline and file watcher modules it loads) costs some 2 ms of every start;
// a scan that lists, links and unlinks needs none of it.

/** `fs.readFile(path, 'utf8')`. */
export function readTextFile(path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    readFile(path, 'utf8', (error, text) => (error ? reject(error) : resolve(text))),
  );
}

/** `fs.stat(path, { bigint: true })`. */
export function statBigInt(path: string): Promise<BigIntStats> {
  return new Promise((resolve, reject) =>
    stat(path, { bigint: true }, (error, stats) => (error ? reject(error) : resolve(stats))),
  );
}

/** `fs.readdir(path, { withFileTypes: true, encoding: 'buffer' })`: names as bytes, as the folder holds them. */
export function readdirBytes(path: string): Promise<Dirent<Buffer>[]> {
  return new Promise((resolve, reject) =>
    readdir(path, { withFileTypes: true, encoding: 'buffer' }, (error, entries) =>
      error ? reject(error) : resolve(entries),
    ),
  );
}
