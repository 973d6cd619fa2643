/**
 * The notification outbox, `<state_dir>/outbox/`: one small JSON file per event and target,
 * written atomically, so what a process meant to say outlives it (kill -9, SIGTERM, a unit
 * without network). Every process that notifies writes here; the poller (or `notify flush`)
 * delivers. Only the files live here; the delivery loop is src/notify/notifier.ts.
 *
 * Layout (Maildir-like, as the encode queue in job_queue.ts):
 * - `new/<stamp>_<pid>_<random>.json`: waiting for delivery, oldest name first.
 * - `claimed/<same name>`: a deliverer took it by renaming it here and holds an exclusive lock
 *   on the file for as long as it sends. A claim is a rename, so two deliverers never both have
 *   an entry; the lock says whether the claimer still lives: a claimed file nobody holds (its
 *   process died mid-send) is moved back to `new/` by {@link recoverOutboxClaims}.
 * - `dropped.json` (+ `dropped.lock`): how many entries `give_up_after` dropped, for `status`.
 */
import { join } from "node:path";
import { prepareLockFile } from "./capture_lock.ts";
import {
  ensurePrivateDir,
  listDirEntries,
  readJsonFile,
  removeIfExists,
  syncDirectory,
  writeJsonAtomic,
} from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";

/** One entry's content: an event for one target. */
export interface OutboxRecord {
  /** Which `notify.urls` entry (a digest of the URL: the file never holds a credential). */
  readonly target: string;
  /** ISO 8601: `give_up_after` counts from here. */
  readonly created_at: string;
  /** The event, as notify/notify_event.ts defines it (state/ stores it as it is). */
  readonly event: { readonly event: string } & Record<string, unknown>;
}

/** An entry this process claimed; settle it with complete, release or drop. */
export interface OutboxClaim {
  readonly name: string;
  readonly record: OutboxRecord;
  readonly stateDir: string;
  /** The claimed file, open and locked: closing it gives the claim up. */
  readonly file: Deno.FsFile;
}

/** What `status` shows of the outbox. */
export interface OutboxView {
  /** Entries waiting (or being sent). */
  readonly waiting: number;
  /** Entries dropped after `give_up_after` so far. */
  readonly dropped: number;
  readonly last_dropped_at: string | null;
}

/** The outbox folder. */
export function outboxDir(stateDir: string): string {
  return join(stateDir, "outbox");
}

function newDir(stateDir: string): string {
  return join(outboxDir(stateDir), "new");
}

function claimedDir(stateDir: string): string {
  return join(outboxDir(stateDir), "claimed");
}

/** Writes `record` durably under a fresh name in `new/`; returns the name. */
export async function writeOutboxRecord(stateDir: string, record: OutboxRecord): Promise<string> {
  const dir = newDir(stateDir);
  await ensurePrivateDir(dir);
  const stamp = record.created_at.replace(/[-:.]/g, "");
  const name = `${stamp}_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}.json`;
  await writeJsonAtomic(join(dir, name), record);
  return name;
}

/** Names waiting in `new/`, oldest first. */
export async function listOutbox(stateDir: string): Promise<string[]> {
  return (await listDirEntries(newDir(stateDir)))
    .map((entry) => entry.name)
    .filter(isEntryName);
}

/**
 * Claims entry `name`: renames it into `claimed/` and locks it. `undefined` when another
 * deliverer has it (or had it and sent it). The lock taken is checked to be the file still at
 * the claimed path, so a recovery that moved it back meanwhile cannot lead to a double send.
 */
export async function claimOutboxEntry(
  stateDir: string,
  name: string,
): Promise<OutboxClaim | undefined> {
  const path = join(claimedDir(stateDir), name);
  await ensurePrivateDir(claimedDir(stateDir));
  if (!(await renameIfThere(join(newDir(stateDir), name), path))) return undefined;
  const file = await lockedIfStillAt(path);
  if (!file) return undefined;
  let record: OutboxRecord;
  try {
    // Only a holder of the lock moves a claimed file, so the path still names the locked file.
    record = parseRecord(await Deno.readTextFile(path));
  } catch (error) {
    const aside = join(outboxDir(stateDir), `${name}.invalid`);
    await renameIfThere(path, aside).finally(() => file.close());
    throw new Error(`Unreadable outbox entry moved to "${aside}": ${(error as Error).message}`);
  }
  return { name, record, stateDir, file };
}

/** Removes a delivered entry and gives up the claim. */
export async function completeOutboxEntry(claim: OutboxClaim): Promise<void> {
  try {
    await removeIfExists(join(claimedDir(claim.stateDir), claim.name));
    await syncDirectory(claimedDir(claim.stateDir));
  } finally {
    claim.file.close();
  }
}

/** Puts a claimed entry back in `new/` for a later attempt (by anyone). */
export async function releaseOutboxEntry(claim: OutboxClaim): Promise<void> {
  try {
    await renameIfThere(
      join(claimedDir(claim.stateDir), claim.name),
      join(newDir(claim.stateDir), claim.name),
    );
    await syncDirectory(newDir(claim.stateDir));
  } finally {
    claim.file.close();
  }
}

/** Removes an entry `give_up_after` gave up on, counting it for `status`. */
export async function dropOutboxEntry(claim: OutboxClaim, now: Date): Promise<void> {
  const dir = outboxDir(claim.stateDir);
  const lockPath = join(dir, "dropped.lock");
  await prepareLockFile(lockPath);
  {
    using _lock = await FileLock.acquireExisting(lockPath);
    const before = await readOutboxDropped(claim.stateDir);
    await writeJsonAtomic(join(dir, "dropped.json"), {
      dropped: before.dropped + 1,
      last_dropped_at: now.toISOString(),
    });
  }
  await completeOutboxEntry(claim);
}

/**
 * Moves claimed entries whose claimer died (nobody holds their lock) back to `new/`; returns
 * how many. Safe beside live claimers: a held lock is never taken.
 */
export async function recoverOutboxClaims(stateDir: string): Promise<number> {
  let recovered = 0;
  for (const entry of await listDirEntries(claimedDir(stateDir))) {
    if (!isEntryName(entry.name)) continue;
    const path = join(claimedDir(stateDir), entry.name);
    const file = await lockedIfStillAt(path);
    if (!file) continue;
    try {
      await ensurePrivateDir(newDir(stateDir));
      if (await renameIfThere(path, join(newDir(stateDir), entry.name))) recovered++;
    } finally {
      file.close();
    }
  }
  if (recovered > 0) await syncDirectory(newDir(stateDir));
  return recovered;
}

/** Entries waiting and dropped so far (for `status` and `doctor`). */
export async function readOutboxView(stateDir: string): Promise<OutboxView> {
  const count = async (dir: string) =>
    (await listDirEntries(dir)).filter((entry) => isEntryName(entry.name)).length;
  const waiting = await count(newDir(stateDir)) + await count(claimedDir(stateDir));
  return { waiting, ...(await readOutboxDropped(stateDir)) };
}

async function readOutboxDropped(
  stateDir: string,
): Promise<{ dropped: number; last_dropped_at: string | null }> {
  const raw = await readJsonFile(join(outboxDir(stateDir), "dropped.json")).catch(() => undefined);
  const value = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    dropped: typeof value.dropped === "number" ? value.dropped : 0,
    last_dropped_at: typeof value.last_dropped_at === "string" ? value.last_dropped_at : null,
  };
}

function isEntryName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".");
}

/** Parses an entry; a file that is not one throws (written atomically, so never half). */
function parseRecord(text: string): OutboxRecord {
  const value = JSON.parse(text) as Partial<OutboxRecord>;
  if (
    typeof value?.target !== "string" || typeof value.created_at !== "string" ||
    typeof value.event?.event !== "string"
  ) {
    throw new SyntaxError("not an outbox entry");
  }
  return value as OutboxRecord;
}

async function renameIfThere(from: string, to: string): Promise<boolean> {
  try {
    await Deno.rename(from, to);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The file at `path` opened and locked, if nobody holds it and it is still that file. */
async function lockedIfStillAt(path: string): Promise<Deno.FsFile | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let keep = false;
  try {
    if (!(await file.tryLock(true))) return undefined;
    const held = await file.stat();
    const named = await Deno.stat(path).catch(() => undefined);
    keep = named !== undefined && named.ino === held.ino && named.dev === held.dev;
    return keep ? file : undefined;
  } finally {
    if (!keep) file.close();
  }
}
