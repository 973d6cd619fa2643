import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { SlotUnavailableError } from "../errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { listDirEntries, readJsonFile, removeIfExists, writeJsonAtomic } from "./atomic_write.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir, verifyRuntimeDir } from "./runtime_dir.ts";

const log = getLogger(["twitchtool", "slots"]);

/** What a recording is doing; the encoder pauses only for `capturing`. */
export type RecordingState = "capturing" | "waiting" | "finalizing";

/** Contents of `slotN.owner`, written atomically by the slot's holder. */
export interface SlotOwner {
  readonly pid: number;
  readonly username: string;
  readonly started_at: string;
  readonly state: RecordingState;
  /**
   * `poller`: the recording runs inside the poller (`pid` is the poller's), so it is stopped
   * through a stop request, never a signal to `pid`. Absent for a `record` process.
   */
  readonly host?: "poller";
}

/** A slot whose lock is held, as seen by any process. */
export interface ActiveSlot extends SlotOwner {
  readonly slot: number;
  /**
   * Only the slot's capture lock is held: a streamlink runs whose recorder or poller is gone
   * (stopped, crashed). It counts as `capturing` whatever its owner file last said; the next
   * poller adopts it and `stop` can end it.
   */
  readonly unhosted?: true;
}

const SLOT_FILE = /^slot(\d+)$/;
/** Attempts, and the pause between them, at taking an adopted capture's slot. */
const ADOPT_ATTEMPTS = 20;
const ADOPT_PAUSE_MS = 100;
const OWNER_FILE = /^slot(\d+)\.owner$/;

/** The slot number of an owner file name (`slotN.owner`), or undefined for any other name. */
export function slotOfOwnerFile(name: string): number | undefined {
  const index = OWNER_FILE.exec(name)?.[1];
  return index === undefined ? undefined : Number(index);
}

/** Paths of slot `index` inside the runtime dir. */
export function slotPaths(runtimeDir: string, index: number) {
  return {
    lock: join(runtimeDir, `slot${index}`),
    owner: join(runtimeDir, `slot${index}.owner`),
    /**
     * Held by the slot's streamlink itself (`flock --no-fork`), so a capture keeps its slot
     * when its recorder or poller is gone; only the holder of `lock` starts such a streamlink.
     */
    capture: join(runtimeDir, `slot${index}.capture`),
  };
}

/** Whether slot `index` counts: its holder or its running capture holds a lock. */
export async function isSlotHeld(runtimeDir: string, index: number): Promise<boolean> {
  const paths = slotPaths(runtimeDir, index);
  return await FileLock.isHeld(paths.lock) || await FileLock.isHeldByWaiters(paths.capture);
}

/**
 * The global cap on concurrent recordings: `slot1..slotN` lock files in the runtime dir.
 * Holding a slot's lock is what makes a recording count; the owner file only describes it.
 */
export class SlotPool {
  constructor(
    readonly runtimeDir: string,
    readonly limit: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Takes the first free slot, or `undefined` when all `limit` are held. A slot whose capture
   * runs without a host is not free. `adopt` names the slot of a running capture the caller
   * adopts: exactly that one is taken (whatever the limit), its capture lock being expected,
   * and it stays `capturing`.
   */
  async tryAcquire(
    owner: Omit<SlotOwner, "state">,
    adopt?: number,
  ): Promise<SlotHandle | undefined> {
    await ensureRuntimeDir(this.runtimeDir);
    const indexes = adopt === undefined
      ? Array.from({ length: this.limit }, (_, i) => i + 1)
      : [adopt];
    for (const index of indexes) {
      const paths = slotPaths(this.runtimeDir, index);
      const lock = adopt === undefined
        ? await FileLock.tryAcquire(paths.lock)
        : await this.tryAcquireBriefly(paths.lock);
      if (!lock) continue;
      // Only the holder of `lock` starts a capture that takes `capture`: once we hold it, a
      // held capture lock can only be an earlier holder's streamlink, still running.
      if (adopt === undefined && await FileLock.probe(paths.capture)) {
        lock.release();
        continue;
      }
      // An adopted capture is writing already: saying "waiting" even for an instant would let
      // the encoder resume beside it.
      const state = adopt === undefined ? "waiting" : "capturing";
      const handle = new SlotHandle(index, paths, lock, { ...owner, state });
      await handle.setState(state);
      return handle;
    }
    return undefined;
  }

  /**
   * The adopted slot's lock: a check elsewhere (a stale-owner sweep) may hold it for an
   * instant, so a few quick attempts are made before giving up.
   */
  private async tryAcquireBriefly(path: string): Promise<FileLock | undefined> {
    for (let attempt = 1; attempt <= ADOPT_ATTEMPTS; attempt++) {
      const lock = await FileLock.tryAcquire(path);
      if (lock || attempt === ADOPT_ATTEMPTS) return lock;
      await this.clock.sleep(ADOPT_PAUSE_MS);
    }
    return undefined;
  }

  /**
   * Takes a slot, waiting (and logging who holds them) until one frees up, unless `failFast`.
   * Returns `undefined` only when `signal` aborts while waiting.
   */
  async acquire(
    owner: Omit<SlotOwner, "state">,
    options: { failFast?: boolean; signal?: AbortSignal; pollMs?: number } = {},
  ): Promise<SlotHandle | undefined> {
    let announced = false;
    while (!options.signal?.aborted) {
      const handle = await this.tryAcquire(owner);
      if (handle) return handle;
      if (options.failFast) {
        throw new SlotUnavailableError(
          `All ${this.limit} recording slots are in use (${await this
            .describeHolders()}): not waiting because of --fail-fast`,
        );
      }
      if (!announced) {
        log.info("All {limit} recording slots are in use ({holders}); waiting for one to free", {
          limit: this.limit,
          holders: await this.describeHolders(),
        });
        announced = true;
      }
      await this.clock.sleep(options.pollMs ?? 1000, options.signal);
    }
    return undefined;
  }

  /**
   * `slot1=alice, slot2=bob` for messages. Listing try-locks every slot, so the wait loop calls
   * this only when it reports, not on every poll (it would contend with other waiters).
   */
  private async describeHolders(): Promise<string> {
    const holders = await this.list();
    return holders.map((h) => `slot${h.slot}=${h.username}`).join(", ") || "unknown";
  }

  /**
   * Slots held by a recorder or by a capture whose host is gone (`unhosted`), by slot number;
   * stale owner files are removed on the way.
   */
  async list(): Promise<ActiveSlot[]> {
    const active: ActiveSlot[] = [];
    for (const index of await this.slotIndexes()) {
      const paths = slotPaths(this.runtimeDir, index);
      const hosted = await FileLock.isHeld(paths.lock);
      const unhosted = !hosted && await FileLock.isHeldByWaiters(paths.capture);
      if (!hosted && !unhosted) {
        await this.removeStaleOwner(index);
        continue;
      }
      const owner = await readOwner(paths.owner);
      if (!owner) continue;
      active.push(
        unhosted
          ? { slot: index, ...owner, state: "capturing", unhosted: true }
          : { slot: index, ...owner },
      );
    }
    return active.sort((a, b) => a.slot - b.slot);
  }

  /** Removes owner files whose slot is not locked (holder died); returns the removed paths. */
  async cleanStale(): Promise<string[]> {
    const removed: string[] = [];
    for (const index of await this.slotIndexes()) {
      if (await isSlotHeld(this.runtimeDir, index)) continue;
      const path = await this.removeStaleOwner(index);
      if (path) removed.push(path);
    }
    return removed;
  }

  private async removeStaleOwner(index: number): Promise<string | undefined> {
    const paths = slotPaths(this.runtimeDir, index);
    // Hold the slot while removing so a new holder's fresh owner file is never deleted.
    const lock = await FileLock.tryAcquire(paths.lock);
    if (!lock) return undefined;
    try {
      // A capture running without its host still needs the file to be seen and adopted.
      if (await FileLock.probe(paths.capture)) return undefined;
      if (await removeIfExists(paths.owner)) {
        log.info("Removed stale owner file {path}", { path: paths.owner });
        return paths.owner;
      }
      return undefined;
    } finally {
      lock.release();
    }
  }

  /** Indexes of every slot that has a lock or owner file, whatever the current limit. */
  private async slotIndexes(): Promise<number[]> {
    await verifyRuntimeDir(this.runtimeDir);
    const indexes = new Set<number>();
    for (const entry of await listDirEntries(this.runtimeDir)) {
      const match = SLOT_FILE.exec(entry.name) ?? OWNER_FILE.exec(entry.name);
      if (match?.[1]) indexes.add(Number(match[1]));
    }
    return [...indexes].sort((a, b) => a - b);
  }
}

/** A held slot: update its state while recording, release it when capture ends. */
export class SlotHandle {
  constructor(
    readonly index: number,
    private readonly paths: ReturnType<typeof slotPaths>,
    private readonly lock: FileLock,
    private owner: SlotOwner,
  ) {}

  get state(): RecordingState {
    return this.owner.state;
  }

  /** Rewrites the owner file atomically with the new state (no-op when unchanged on disk). */
  async setState(state: RecordingState): Promise<void> {
    this.owner = { ...this.owner, state };
    await writeJsonAtomic(this.paths.owner, this.owner);
  }

  /** The lock a capture in this slot holds for its whole life ({@link slotPaths}). */
  get captureLockPath(): string {
    return this.paths.capture;
  }

  /**
   * Drops the lock but keeps the owner file: the host leaves a capture running (it holds the
   * slot's capture lock), which `status` shows and the next poller adopts from that file.
   */
  leave(): void {
    this.lock.release();
  }

  /** Removes the owner file, then drops the lock so the next recorder can take the slot. */
  async release(): Promise<void> {
    try {
      await removeIfExists(this.paths.owner);
    } finally {
      this.lock.release();
    }
  }
}

async function readOwner(path: string): Promise<SlotOwner | undefined> {
  try {
    const value = await readJsonFile(path);
    if (typeof value !== "object" || value === null) return undefined;
    const owner = value as Partial<SlotOwner>;
    if (typeof owner.pid !== "number" || typeof owner.username !== "string") return undefined;
    return {
      pid: owner.pid,
      username: owner.username,
      started_at: String(owner.started_at ?? ""),
      state: (owner.state ?? "waiting") as RecordingState,
      ...(owner.host === "poller" ? { host: "poller" as const } : {}),
    };
  } catch {
    return undefined;
  }
}
