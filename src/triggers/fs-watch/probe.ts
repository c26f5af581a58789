import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A file the watcher waits on: its absolute path and, once known, its inode. */
export interface ProbeTarget {
  path: string;
  ino?: bigint;
}

/**
 * Tells whether any process holds a file open for writing (Linux: by reading
 * /proc, since inotify's close_write is not exposed by chokidar or fs.watch).
 *
 * One call takes ONE snapshot of every visible process's descriptors and
 * answers for all `files` at once: readlink of /proc/PID/fd/N; a descriptor
 * whose target has the same file name as a candidate has its
 * /proc/PID/fdinfo/N read for `flags` (O_WRONLY or O_RDWR) and `ino` (the
 * inode, so a writer that reached the file through a bind mount or another
 * mount namespace still counts).
 *
 * Limits, where the caller must fall back to settling (size and mtime
 * unchanged for a while):
 * - processes of other users are visible only when running as root
 *   (`seesAllUsers`); otherwise trust the answer only for files owned by this
 *   process's user;
 * - writers on other machines (NFS, SMB, FUSE mounts such as gcsfuse) or in
 *   other PID namespaces (another container sharing the volume) are invisible;
 * - a process writing through a shared writable mmap after closing the
 *   descriptor is invisible.
 */
export interface WriterProbe {
  /** The `path`s of `files` some visible process has open for writing; undefined when it cannot tell this time. */
  openForWriting(files: readonly ProbeTarget[]): Set<string> | undefined;
  /** Processes of every user are visible (running as root). */
  readonly seesAllUsers: boolean;
  /** This process's effective uid (files it owns are trusted when `seesAllUsers` is false). */
  readonly uid: number;
  /** How long the last snapshot took, in ms (the caller spaces snapshots by it). */
  readonly lastScanMs: number;
}

const O_ACCMODE = 0o3;

/** The /proc probe, or undefined when this platform has none that works (checked by opening a file and looking for it). */
export function openWriterProbe(procRoot = '/proc'): WriterProbe | undefined {
  if (process.platform !== 'linux') return undefined;
  const probe = new ProcWriterProbe(procRoot);
  return selfTest(probe) ? probe : undefined;
}

class ProcWriterProbe implements WriterProbe {
  readonly seesAllUsers: boolean;
  readonly uid: number;
  lastScanMs = 0;

  constructor(private readonly procRoot: string) {
    this.uid = process.geteuid?.() ?? -1;
    this.seesAllUsers = this.uid === 0;
  }

  openForWriting(files: readonly ProbeTarget[]): Set<string> | undefined {
    const started = performance.now();
    const byName = new Map<string, ProbeTarget[]>();
    for (const file of files) {
      const name = path.basename(file.path);
      const list = byName.get(name);
      if (list) list.push(file);
      else byName.set(name, [file]);
    }
    let pids: string[];
    try {
      pids = readdirSync(this.procRoot);
    } catch {
      return undefined;
    }
    const found = new Set<string>();
    for (const pid of pids) {
      if (!isDigits(pid)) continue;
      const fdDir = `${this.procRoot}/${pid}/fd`;
      let fds: string[];
      try {
        fds = readdirSync(fdDir);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`${fdDir}/${fd}`);
        } catch {
          continue;
        }
        if (target.charCodeAt(0) !== 47) continue;
        const candidates = byName.get(target.slice(target.lastIndexOf('/') + 1));
        if (!candidates) continue;
        const info = this.fdInfo(pid, fd);
        if (!info?.writable) continue;
        for (const c of candidates) {
          if (info.ino !== undefined && c.ino !== undefined ? info.ino === c.ino : target === c.path)
            found.add(c.path);
        }
      }
    }
    this.lastScanMs = performance.now() - started;
    return found;
  }

  private fdInfo(pid: string, fd: string): { writable: boolean; ino?: bigint } | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.procRoot}/${pid}/fdinfo/${fd}`, 'latin1');
    } catch {
      return undefined;
    }
    const flags = /^flags:\s*([0-7]+)$/m.exec(text);
    if (!flags?.[1]) return undefined;
    const mode = parseInt(flags[1], 8) & O_ACCMODE;
    const ino = /^ino:\s*(\d+)$/m.exec(text)?.[1];
    return { writable: mode === 1 || mode === 2, ...(ino ? { ino: BigInt(ino) } : {}) };
  }
}

function isDigits(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return name.length > 0;
}

/** Opens a scratch file for writing and checks the probe sees it, then that it does not once closed. */
function selfTest(probe: WriterProbe): boolean {
  let dir: string | undefined;
  let fd: number | undefined;
  try {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-probe-'));
    const file = path.join(dir, 'probe');
    fd = openSync(file, 'w');
    const target = { path: file, ino: statSync(file, { bigint: true }).ino };
    const open = probe.openForWriting([target]);
    closeSync(fd);
    fd = undefined;
    const closed = probe.openForWriting([target]);
    return open?.has(file) === true && closed !== undefined && !closed.has(file);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** statfs magic numbers of filesystems other machines can write to (writers invisible to the probe). */
const SHARED_FILESYSTEMS = new Set([
  0x6969, // NFS
  0x517b, // SMB
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x65735546, // FUSE (sshfs, gcsfuse, s3fs, virtiofs)
  0x00c36400, // Ceph
  0x01021997, // 9p
  0x5346414f, // AFS
  0x73757245, // Coda
  0x01161970, // GFS2
  0x7461636f, // OCFS2
  0x0bd00bd0, // Lustre
]);

/** True when `dir` is on a network or shared filesystem, where the probe cannot see every writer. */
export function isSharedFilesystem(dir: string): boolean {
  try {
    return SHARED_FILESYSTEMS.has(Number(statfsSync(dir).type));
  } catch {
    return true;
  }
}

/**
 * Keeps /proc snapshots to a share of wall time (a bucket of milliseconds
 * refilled at `share` per ms, holding at most `burstMs`), so a slow /proc
 * cannot take over the event loop while a single file after a quiet spell
 * is judged at once.
 */
export class SnapshotBudget {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly share: number,
    private readonly burstMs: number,
  ) {
    this.tokens = burstMs;
  }

  /** When a snapshot costing `costMs` may start. */
  readyAt(now: number, costMs: number): number {
    this.refill(now);
    return this.tokens >= costMs ? now : now + (costMs - this.tokens) / this.share;
  }

  spend(now: number, costMs: number): void {
    this.refill(now);
    this.tokens -= costMs;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burstMs, this.tokens + (now - this.at) * this.share);
    this.at = now;
  }
}
