import { FS_TEMP_PREFIX } from '../../storage/fs/store.js';

/**
 * Names writers use while a file is incomplete, renamed to the real name once
 * written: `*.tmp`, `*.part`, `*.partial`, `*.filepart` (WinSCP),
 * `*.crdownload` (Chrome), `.~*` and `~$*` (office lock/temp files),
 * `.*.swp` / `.*.swx` (vim), and switchyard's own FS_TEMP_PREFIX. The watcher
 * never routes a file under such a name; it routes it once renamed.
 */
const TEMP_NAME = /\.(tmp|part|partial|filepart|crdownload)$|^\.~|^~\$|^\..*\.sw[px]$/i;

export function isTempName(name: string): boolean {
  return name.startsWith(FS_TEMP_PREFIX) || TEMP_NAME.test(name);
}

/** True when the watcher must leave this key alone: its file name is a temp name, or a folder is switchyard's own temp. */
export function isIgnoredKey(key: string): boolean {
  const segments = key.split('/');
  if (segments.some((s) => s.startsWith(FS_TEMP_PREFIX))) return true;
  return isTempName(segments[segments.length - 1] ?? '');
}
