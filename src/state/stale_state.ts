/**
 * Leftovers of processes that died without cleaning up: slot owner files of slots nobody holds,
 * daemon pid files with no daemon, recording sessions with nobody recording them. `doctor`
 * reports them without touching anything; `clean` removes the harmless ones.
 */
import { join } from "node:path";
import { listNames, readJsonFile } from "./atomic_write.ts";
import { hasStalePidFile } from "./daemon_state.ts";
import { type DaemonName, daemonPaths } from "./daemon_status.ts";
import { FileLock } from "./file_lock.ts";
import { verifyRuntimeDir } from "./runtime_dir.ts";
import { listSessionFiles } from "./session_folder.ts";
import { isSlotHeld, slotOfOwnerFile } from "./slot_pool.ts";
import { findAbandonedArgsFiles } from "./streamlink_args_file.ts";
import { isUserLocked } from "./user_lock.ts";

/** Where stale state can be. */
export interface StateDirs {
  readonly runtimeDir: string;
  readonly stateDir: string;
  /** The recorder's temp folder (`config.paths.tempDir`). */
  readonly tempDir: string;
}

/** What {@link findStaleState} found. */
export interface StaleState {
  /** `slotN.owner` files whose slot is free (neither its holder nor a capture holds it). */
  readonly ownerFiles: string[];
  /** `<daemon>.pid` files whose daemon lock is free. */
  readonly pidFiles: string[];
  /** Session manifests (`<base>.session.json`) whose channel nobody records: unfinished. */
  readonly sessions: string[];
  /** Private streamlink args files (they may hold tokens) of processes that died. */
  readonly argsFiles: string[];
  /**
   * `recover/<base>.lock` files nobody holds (older versions left one per recovered session;
   * safe to delete: recoverers check that the lock they took is still the file's).
   */
  readonly recoverLocks: string[];
}

const DAEMONS: readonly DaemonName[] = ["poller", "encoder"];

/** Looks for stale state without changing anything. */
export async function findStaleState(dirs: StateDirs): Promise<StaleState> {
  await verifyRuntimeDir(dirs.runtimeDir);
  const ownerFiles: string[] = [];
  for (const name of await listNames(dirs.runtimeDir)) {
    const index = slotOfOwnerFile(name);
    if (index === undefined) continue;
    if (!(await isSlotHeld(dirs.runtimeDir, index))) {
      ownerFiles.push(join(dirs.runtimeDir, name));
    }
  }
  const pidFiles: string[] = [];
  for (const daemon of DAEMONS) {
    if (await hasStalePidFile(dirs.stateDir, daemon)) {
      pidFiles.push(daemonPaths(dirs.stateDir, daemon).pid);
    }
  }
  const sessions: string[] = [];
  for (const path of (await listSessionFiles(dirs.tempDir)).manifests) {
    const manifest = await readJsonFile(path).catch(() => undefined) as
      | { user?: unknown }
      | undefined;
    const user = typeof manifest?.user === "string" ? manifest.user : undefined;
    if (user === undefined || !(await isUserLocked(dirs.runtimeDir, user))) sessions.push(path);
  }
  const recoverLocks: string[] = [];
  for (const name of await listNames(join(dirs.runtimeDir, "recover"))) {
    const path = join(dirs.runtimeDir, "recover", name);
    if (name.endsWith(".lock") && !(await FileLock.isHeld(path))) recoverLocks.push(path);
  }
  const argsFiles = await findAbandonedArgsFiles(dirs.runtimeDir);
  return { ownerFiles, pidFiles, sessions, argsFiles, recoverLocks };
}
