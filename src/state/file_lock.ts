/**
 * An exclusive advisory lock on a file (`Deno.FsFile.tryLock`). The kernel drops it when the
 * holder dies (kill -9 included), so "is the lock held" is the one trustworthy liveness test:
 * a pid alone can be reused, a lock cannot outlive its process.
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

  /** Whether some process holds the lock on `path` right now (missing file: not held). */
  static async isHeld(path: string): Promise<boolean> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
    try {
      const locked = await file.tryLock(true);
      if (locked) await file.unlock();
      return !locked;
    } finally {
      file.close();
    }
  }

  /** Releases the lock (idempotent). The lock file itself stays: deleting it would race. */
  release(): void {
    if (!this.file) return;
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
