// The embedded stack's data directory is private and used by one stack at a time: it holds
// every region's database, objects, audit signing keys and the stack's secrets.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "stack.lock";

interface LockInfo {
  pid: number;
  started_at: string;
}

/** True while `pid` names a running process (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as Partial<LockInfo>;
    return Number.isInteger(info.pid) && (info.pid as number) > 0 ? { pid: info.pid as number, started_at: String(info.started_at ?? "unknown") } : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly holder: LockInfo;

  constructor(dataDir: string, holder: LockInfo) {
    super(
      `data directory ${dataDir} is in use by another stack: process ${holder.pid}, started ${holder.started_at} ` +
        `(lock file ${join(dataDir, LOCK_FILE)}). Stop that stack first, or use another DATA_DIR.`,
    );
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

/**
 * Takes the data directory's lock file (created exclusively, holding pid and start time).
 * A lock whose process is gone, or that cannot be read, is stale and taken over; a live one
 * is refused with a DataDirLockedError naming its holder. `release` removes it if still ours.
 */
export function acquireDataDirLock(dataDir: string, pid = process.pid): { release(): void; tookOver?: LockInfo } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readLock(path);
      if (holder && holder.pid !== pid && processAlive(holder.pid)) throw new DataDirLockedError(dataDir, holder);
      // Dead holder (or our own leftover, or garbage): stale. Remove and race for it again.
      tookOver = holder ?? { pid: 0, started_at: "unknown" };
      try {
        unlinkSync(path);
      } catch {
        // another starter removed it first; the next exclusive create decides
      }
      continue;
    }
    writeSync(fd, `${JSON.stringify({ pid, started_at: new Date().toISOString() } satisfies LockInfo)}\n`);
    closeSync(fd);
    const release = () => {
      if (readLock(path)?.pid !== pid) return;
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    };
    return tookOver ? { release, tookOver } : { release };
  }
  throw new Error(`could not take the lock file ${path}: it keeps reappearing`);
}

/**
 * Directories 0700, files 0600, all the way down (symlinks are left alone, never followed).
 * The apps are running while this walks: a file may vanish between listing and chmod (a
 * temp file renamed into place, such as the router's routing snapshot), and is then skipped.
 */
export function makePrivate(dir: string): void {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) return;
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
      for (const entry of readdirSync(dir)) makePrivate(join(dir, entry));
    } else if (stat.isFile() && (stat.mode & 0o777) !== 0o600) {
      chmodSync(dir, 0o600);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
