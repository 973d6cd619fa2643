/**
 * `<state_dir>/retention.json`: what retention has deleted so far (counted for `status`) and the
 * last time a capture stopped for lack of space that retention could not make, so `status` can
 * say why a recording ended. Every process that runs retention (recorders, the poller, `clean`)
 * updates it under `<state_dir>/retention.lock`, which also makes retention runs take turns.
 */
import { prepareLockFile } from "./capture_lock.ts";
import { join } from "node:path";
import { ensurePrivateDir, readJsonFile, writeJsonAtomic } from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";

/** The file's content. */
export interface RetentionState {
  readonly deleted_files: number;
  readonly deleted_bytes: number;
  /** ISO 8601 of the last deletion. */
  readonly last_deleted_at: string | null;
  /** Paths deleted by the last run that deleted anything. */
  readonly last_deleted: readonly string[];
  /** The last capture stopped (or refused) for lack of space. */
  readonly last_low_disk: {
    readonly at: string;
    readonly channel: string | null;
    readonly detail: string;
  } | null;
}

const EMPTY: RetentionState = {
  deleted_files: 0,
  deleted_bytes: 0,
  last_deleted_at: null,
  last_deleted: [],
  last_low_disk: null,
};

function statePath(stateDir: string): string {
  return join(stateDir, "retention.json");
}

/** Reads the state (all zero when there is none or it is unreadable). */
export async function readRetentionState(stateDir: string): Promise<RetentionState> {
  const raw = await readJsonFile(statePath(stateDir)).catch(() => undefined);
  if (typeof raw !== "object" || raw === null) return EMPTY;
  return { ...EMPTY, ...(raw as Partial<RetentionState>) };
}

/** Runs `work` holding the retention lock (waiting for another process's run to end). */
export async function withRetentionLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(stateDir);
  const path = join(stateDir, "retention.lock");
  await prepareLockFile(path);
  using _lock = await FileLock.acquireExisting(path);
  return await work();
}

/** Applies `change` to the state file; call inside {@link withRetentionLock}. */
export async function updateRetentionState(
  stateDir: string,
  change: (state: RetentionState) => RetentionState,
): Promise<void> {
  await writeJsonAtomic(statePath(stateDir), change(await readRetentionState(stateDir)));
}
