import { AlreadyRunningError } from "../errors.ts";
import {
  ensurePrivateDir,
  ifFound,
  pathExists,
  readJsonFile,
  removeIfExists,
  writeJsonAtomic,
} from "./atomic_write.ts";
import {
  type DaemonName,
  daemonPaths,
  type DaemonStatuses,
  readDaemonStatus,
  type ReadStatus,
  writeDaemonStatus,
} from "./daemon_status.ts";
import { FileLock } from "./file_lock.ts";

/** A running daemon's hold on its single-instance lock; release removes its pid file. */
export interface DaemonHandle<N extends DaemonName> {
  readonly name: N;
  writeStatus(status: DaemonStatuses[N]): Promise<void>;
  release(): Promise<void>;
}

/** Takes the daemon's lock (exit 3 when another instance holds it) and writes its pid file. */
export async function acquireDaemon<N extends DaemonName>(
  stateDir: string,
  name: N,
): Promise<DaemonHandle<N>> {
  await ensurePrivateDir(stateDir);
  const paths = daemonPaths(stateDir, name);
  const lock = await FileLock.tryAcquire(paths.lock);
  if (!lock) {
    const pid = await readPid(paths.pid);
    throw new AlreadyRunningError(
      `The ${name} is already running${
        pid ? ` (pid ${pid})` : ""
      }: stop it first with "twitchtool ${name === "encoder" ? "encode-daemon" : "poller"} stop"`,
    );
  }
  await writeJsonAtomic(paths.pid, Deno.pid);
  return {
    name,
    writeStatus: (status) => writeDaemonStatus(stateDir, name, status),
    release: async () => {
      try {
        await removeIfExists(paths.pid);
      } finally {
        lock.release();
      }
    },
  };
}

/** What any process can learn about a daemon: running is decided by its lock, not its pid. */
export interface DaemonState<N extends DaemonName> {
  readonly running: boolean;
  readonly pid: number | null;
  /**
   * Last status the daemon wrote (may be from a previous run when not running); `null` when
   * there is none or it is unreadable.
   */
  readonly status: ReadStatus<N> | null;
  /** Why the status file cannot be used (corrupt or foreign), else `null`. */
  readonly unreadable: string | null;
}

/** Reads a daemon's lock, pid and status files. */
export async function readDaemonState<N extends DaemonName>(
  stateDir: string,
  name: N,
): Promise<DaemonState<N>> {
  const paths = daemonPaths(stateDir, name);
  const running = await FileLock.isHeld(paths.lock);
  const pid = running ? await readPid(paths.pid) : null;
  const read = await readDaemonStatus(stateDir, name);
  return {
    running,
    pid,
    status: read.kind === "ok" ? read.status : null,
    unreadable: read.kind === "unreadable" ? read.reason : null,
  };
}

async function readPid(path: string): Promise<number | null> {
  try {
    const value = await readJsonFile(path);
    return typeof value === "number" ? value : null;
  } catch {
    return null;
  }
}

/**
 * Removes a daemon's pid file left by a process that died without cleaning up (its lock is
 * free). Holds the lock while removing, so a daemon starting at that moment keeps its fresh
 * pid file. Returns the removed path.
 */
export async function removeStalePidFile(
  stateDir: string,
  name: DaemonName,
): Promise<string | undefined> {
  const paths = daemonPaths(stateDir, name);
  if (!(await pathExists(paths.pid))) return undefined;
  const lock = await ifFound(FileLock.tryAcquire(paths.lock));
  if (!lock) return undefined;
  try {
    return (await removeIfExists(paths.pid)) ? paths.pid : undefined;
  } finally {
    lock.release();
  }
}

/** Whether a daemon's pid file exists while nothing holds its lock (it died uncleanly). */
export async function hasStalePidFile(stateDir: string, name: DaemonName): Promise<boolean> {
  const paths = daemonPaths(stateDir, name);
  return (await pathExists(paths.pid)) && !(await FileLock.isHeld(paths.lock));
}
