import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ConfigFile } from './schema.js';

/**
 * Where the CLI keeps the configuration files it has checked, and which
 * build checked them: bin/switchyard.js hands the program its cache folder
 * and the command bundle's name and content hash. A deployment reads the same
 * switchyard.yaml at every run; checking it (the YAML parser and zod, ~50 ms
 * of start-up) is a pure function of its text, this build and the Node
 * version (`transforms.parquet` accepts zstd on a Node that has it), so a
 * text checked once is not checked again by the same build on the same Node.
 */
export interface ConfigMemo {
  /** The user's cache folder for switchyard; checked files are kept in its `config/`. */
  dir: string;
  /** The build: the command bundle's name and content hash (`scan.0123456789abcdef`). */
  build: string;
}

/** What is kept of one checked file: everything its check depended on, and what it gave. */
interface Remembered {
  build: string;
  node: string;
  source: string;
  text: string;
  config: ConfigFile;
}

/**
 * The checked configuration of `text` (read from `source`): the one this
 * build remembered for exactly that text, else `check`'s, then remembered.
 * Only a configuration that passed is kept: a file with a mistake is checked
 * at every run and reported by `check` each time. The memo is only a
 * shortcut: one that cannot be read or written costs that run the check.
 */
export async function checkedConfigFile(
  memo: ConfigMemo,
  source: string,
  text: string,
  check: (text: string, source: string) => Promise<ConfigFile>,
): Promise<ConfigFile> {
  const file = memoFile(memo, source);
  const kept = readRemembered(file);
  if (
    kept?.build === memo.build &&
    kept.node === process.versions.node &&
    kept.source === source &&
    kept.text === text &&
    typeof kept.config === 'object' &&
    kept.config !== null
  )
    return kept.config;
  const config = await check(text, source);
  remember(file, { build: memo.build, node: process.versions.node, source, text, config });
  return config;
}

/** One file per configuration path and command bundle: a deployment's commands do not overwrite each other's. */
function memoFile(memo: ConfigMemo, source: string): string {
  const command = memo.build.split('.')[0] ?? '';
  return path.join(memo.dir, 'config', `${command}.${fnv1a(source)}.json`);
}

function readRemembered(file: string): Partial<Remembered> | undefined {
  try {
    const kept: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return kept !== null && typeof kept === 'object' ? (kept as Partial<Remembered>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the entry beside a temporary name, then renames it in (a run reading
 * meanwhile sees the old entry or the new one). Kept only when the
 * configuration comes back from JSON exactly as it is, so a hit gives what
 * the check would.
 */
function remember(file: string, entry: Remembered): void {
  const json = JSON.stringify(entry);
  if (!isDeepStrictEqual((JSON.parse(json) as Remembered).config, entry.config)) return;
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, json, { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // no folder to remove it from
    }
  }
}

/** A short, stable hash of a string (FNV-1a, 32 bits, hex): a file name, the entry itself says whose it is. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
