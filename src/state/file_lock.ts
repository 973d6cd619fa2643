import { ifFound, statOrUndefined } from "./atomic_write.ts";

/**
 * An exclusive advisory lock on a file (`Deno.FsFile.tryLock`, a `flock`). The kernel drops it
 * when the holder dies (kill -9 included), so "is the lock held" is the one trustworthy liveness
 * test: a pid alone can be reused, a lock cannot outlive its process.
 *
 * Why checks read `/proc/locks` instead of trying the lock: a check that takes the lock, even for
 * a few microseconds, makes a recorder (or daemon) that tries to start at that instant believe
 * the channel is already taken and exit 3 with nothing running; two checks at once also see each
 * other as a holder. A shared-lock probe has the same flaw (it still excludes the exclusive
 * try), and making every acquisition retry only narrows the window. `/proc/locks` is the
 * kernel's own table of held locks: reading it takes nothing, so a check can never block or
 * fail an acquisition, and it is exactly as current as the lock (checked on ext4, tmpfs and
 * overlayfs: the table names the same device and inode as `stat`). Entries marked `->` are
 * waiters, not holders, and are skipped. Where `/proc/locks` cannot be read (not Linux, a hardened
 * /proc) the check falls back to a try-lock probe and {@link FileLock.tryAcquire}'s callers that
 * must not fail on a probe (the channel lock) retry briefly. Limit: Linux hides from
 * `/proc/locks` the locks of processes outside the reader's pid namespace, so a recorder in
 * another pid namespace looks absent to checks (the lock itself still keeps it unique).
 */
export class FileLock {
  private constructor(readonly path: string, private file: Deno.FsFile | undefined) {}

  /** Takes the lock, or returns `undefined` at once when another open file holds it. */
  static async tryAcquire(path: string): Promise<FileLock | undefined> {
    const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
    let locked = false;
    try {
      locked = await file.tryLock(true);
    } finally {
      if (!locked) file.close();
    }
    return locked ? new FileLock(path, file) : undefined;
  }

  /**
   * {@link tryAcquire} for a lock file that its holder deletes when done
   * ({@link releaseAndRemove}). Safe because the lock taken is checked to still be the file at
   * `path`: a process that opened the file just before its holder deleted it gets a lock on a
   * nameless file, sees that, and tries again on the new file (or on none).
   */
  static async tryAcquireRemovable(
    path: string,
  ): Promise<(FileLock & AsyncDisposable) | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const lock = await FileLock.tryAcquire(path);
      if (!lock) return undefined;
      const held = await lock.file!.stat();
      const named = await Deno.stat(path).catch(() => undefined);
      if (named && named.ino === held.ino && named.dev === held.dev) {
        return Object.assign(lock, { [Symbol.asyncDispose]: () => lock.releaseAndRemove() });
      }
      lock.release();
    }
    return undefined;
  }

  /**
   * Deletes the lock file, then releases the lock: only for locks taken with
   * {@link tryAcquireRemovable}, which is what makes the deletion safe (and which does this when
   * disposed with `await using`).
   */
  async releaseAndRemove(): Promise<void> {
    if (!this.file) return;
    try {
      await Deno.remove(this.path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    } finally {
      this.release();
    }
  }

  /**
   * Takes the lock on an existing file or folder (opened read-only, so a folder works and
   * nothing is created), waiting for as long as another open file holds it.
   */
  static async acquireExisting(path: string): Promise<FileLock> {
    const file = await Deno.open(path, { read: true });
    try {
      await file.lock(true);
    } catch (error) {
      file.close();
      throw error;
    }
    return new FileLock(path, file);
  }

  /**
   * Whether some process holds the lock on `path` right now (missing file: not held). Takes no
   * lock where `/proc/locks` is readable (see the module doc).
   */
  static async isHeld(path: string): Promise<boolean> {
    const info = await statOrUndefined(path);
    if (!info) return false;
    const table = await readKernelLocks();
    if (table !== undefined) return kernelLockHeld(table, info.dev, info.ino ?? -1);
    return await probeByLocking(path);
  }

  /**
   * Whether the lock on `path` is held, by trying it and giving it back at once (missing file:
   * not held). Exact, unlike a read of `/proc/locks`, which the kernel serves in pages and can
   * miss an entry while other locks come and go; but it takes the lock for an instant. Only for
   * a caller holding the lock that guards who may take this one (a slot's or channel's own lock
   * guards its capture lock), so the instant cannot make anyone fail. A lock found taken is
   * tried again a few times: another check's try holds it only for an instant, a capture for
   * its whole life.
   */
  static probe(path: string): Promise<boolean> {
    return probeSteadily(path);
  }

  /**
   * Whether a lock that only waiting takers ever take (`flock -w`: the capture locks) is held:
   * `/proc/locks` first, and when it says free, a try to confirm (the table, served in pages,
   * can miss an entry while other locks come and go). The try can only make such a taker wait
   * an instant, never fail; a check that finds it taken tries again a few times, so two checks
   * at once do not take each other for a holder.
   */
  static async isHeldByWaiters(path: string): Promise<boolean> {
    return await FileLock.isHeld(path) || await probeSteadily(path);
  }

  /**
   * Pid of the process holding the lock on `path` per `/proc/locks` (for a lock taken by
   * `flock --no-fork`, the program it became), or `undefined` when the lock is free or the
   * table cannot be read. The kernel ties the lock to the holder, so a pid found here cannot be
   * a stale or reused one, unlike a pid kept in a file.
   */
  static async holderPid(path: string): Promise<number | undefined> {
    const info = await statOrUndefined(path);
    if (!info) return undefined;
    const table = await readKernelLocks();
    return table === undefined ? undefined : kernelLockHolder(table, info.dev, info.ino ?? -1);
  }

  /** Releases the lock (idempotent). The lock file itself stays: deleting it would race. */
  release(): void {
    if (!this.file) return;
    try {
      // Unlocked first, at once: the close alone let a try right after it fail now and then
      // (seen with checks running beside, on a loaded machine), as if the descriptor outlived it.
      this.file.unlockSync();
    } catch {
      // Closing below drops the lock all the same.
    }
    try {
      this.file.close();
    } finally {
      this.file = undefined;
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Reads of `/proc/locks` at most before {@link readKernelLocks} settles for what it saw. */
const TABLE_READS = 4;

/**
 * `/proc/locks`, or `undefined` where it cannot be read. The kernel serves the table a page at a
 * time and starts each page by counting entries from the top, so a lock released in between
 * shifts the rest and one held all along can be skipped: seen with ~80 locks on a busy machine
 * (two pages), where a freshly taken lock read as free. Read until two reads agree (nothing
 * moved during either); if they never do, every line any read saw, since a lock held all along is
 * skipped by one read at most rarely, by all of them practically never.
 */
async function readKernelLocks(): Promise<string | undefined> {
  const seen: string[] = [];
  for (let read = 0; read < TABLE_READS; read++) {
    const table = await Deno.readTextFile("/proc/locks").catch(() => undefined);
    if (table === undefined) return seen.length > 0 ? seen.join("\n") : undefined;
    if (table === seen.at(-1)) return table;
    seen.push(table);
  }
  return seen.join("\n");
}

/**
 * Whether a `/proc/locks` table lists a held lock (not a waiter) on the file with `st_dev`
 * `dev` and inode `ino`. The table names the device as hex `major:minor` (Linux's split of a
 * 64-bit dev_t) and the inode in decimal.
 */
export function kernelLockHeld(table: string, dev: number, ino: number): boolean {
  return kernelLockHolder(table, dev, ino) !== undefined;
}

/**
 * The pid of the first held lock (not a waiter) on that file in a `/proc/locks` table (the
 * field before the `major:minor:inode` one; 0 where the kernel cannot name it, e.g. a holder in
 * another pid namespace), or `undefined` when none is held.
 */
export function kernelLockHolder(table: string, dev: number, ino: number): number | undefined {
  const big = BigInt(dev);
  const major = ((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn);
  const minor = (big & 0xffn) | ((big >> 12n) & ~0xffn);
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === "->") continue;
    const at = fields.findIndex((field) => /^[0-9a-f]+:[0-9a-f]+:\d+$/i.test(field));
    const id = fields[at];
    if (!id) continue;
    const [maj, min, inode] = id.split(":") as [string, string, string];
    if (
      BigInt(`0x${maj}`) === major && BigInt(`0x${min}`) === minor && inode === String(ino)
    ) {
      const pid = Number(fields[at - 1]);
      return Number.isInteger(pid) && pid > 0 ? pid : 0;
    }
  }
  return undefined;
}

/** The fallback check: try the lock and give it back at once. */
async function probeByLocking(path: string): Promise<boolean> {
  const file = await ifFound(Deno.open(path, { read: true, write: true }));
  if (!file) return false;
  try {
    const locked = await file.tryLock(true);
    if (locked) await file.unlock();
    return !locked;
  } finally {
    file.close();
  }
}

/** Tries over this long before calling a lock held: another check's try lasts an instant. */
const STEADY_ATTEMPTS = 5;
const STEADY_PAUSE_MS = 20;

/** Held on every one of a few tries (see {@link FileLock.probe}). */
async function probeSteadily(path: string): Promise<boolean> {
  for (let attempt = 1; attempt <= STEADY_ATTEMPTS; attempt++) {
    if (!(await probeByLocking(path))) return false;
    if (attempt < STEADY_ATTEMPTS) {
      await new Promise((resolve) => setTimeout(resolve, STEADY_PAUSE_MS));
    }
  }
  return true;
}
