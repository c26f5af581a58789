import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Deterministic bytes for file `i` (size varies with i). */
export function contentFor(i: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let x = (i * 2654435761) >>> 0 || 1;
  for (let j = 0; j < size; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buffer[j] = x & 0xff;
  }
  return buffer;
}

const TEMP_STYLES = [
  (n: string) => `${n}.tmp`,
  (n: string) => `${n}.part`,
  (n: string) => `.~${n}`,
  (n: string) => `${n}.partial`,
];

/** Writes under a temp name, then renames into place. */
export async function writeRenamed(dir: string, name: string, content: Buffer, style: number): Promise<void> {
  const temp = path.join(dir, TEMP_STYLES[style % TEMP_STYLES.length]!(name));
  await fsp.writeFile(temp, content);
  await fsp.rename(temp, path.join(dir, name));
}

/**
 * Writes in place, in `chunks` pieces with `pauseMs` pauses, holding the
 * descriptor open throughout; `open` holds the file's name while it is open.
 */
export async function writeSlowly(
  dir: string,
  name: string,
  content: Buffer,
  chunks: number,
  pauseMs: number,
  open: Set<string>,
): Promise<void> {
  open.add(name);
  const handle = await fsp.open(path.join(dir, name), 'w');
  try {
    const step = Math.ceil(content.length / chunks);
    for (let at = 0, n = 0; n < chunks; at += step, n++) {
      if (n > 0) await new Promise((r) => setTimeout(r, pauseMs));
      const piece = content.subarray(at, Math.min(content.length, at + step));
      if (piece.length > 0) await handle.write(piece);
    }
  } finally {
    await handle.close();
    open.delete(name);
  }
}

/** Runs `tasks` with at most `limit` at once. */
export async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/**
 * Appends `pieces` one at a time, opening and closing the file for each,
 * `pauseMs` apart (a log shipper, some SFTP servers): between two appends no
 * process holds the file open. Resolves with the time (epoch ms) the last
 * append was closed.
 */
export async function appendInBursts(file: string, pieces: Buffer[], pauseMs: number): Promise<number> {
  let closedAt = 0;
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await new Promise((r) => setTimeout(r, pauseMs));
    await fsp.appendFile(file, piece);
    closedAt = Date.now();
  }
  return closedAt;
}
