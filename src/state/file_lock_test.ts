import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLock, kernelLockHeld } from "./file_lock.ts";

Deno.test("kernelLockHeld() matches device and inode of holders and skips waiters", () => {
  const table = [
    "1: FLOCK  ADVISORY  WRITE 11825 fe:00:2146481 0 EOF",
    "1: -> FLOCK  ADVISORY  WRITE 11900 fe:00:777 0 EOF",
    "2: POSIX  ADVISORY  READ 11825 103:0a:42 128 128",
  ].join("\n");
  assert.equal(kernelLockHeld(table, 0xfe00, 2146481), true);
  assert.equal(kernelLockHeld(table, 0xfe00, 777), false, "a waiter is not a holder");
  assert.equal(kernelLockHeld(table, 0xfe01, 2146481), false, "other device");
  // dev_t 259:10 (major above 255) is encoded with the major split around the minor.
  const dev = (0x103 << 8) | 0x0a;
  assert.equal(kernelLockHeld(table, dev, 42), true);
});

Deno.test("FileLock.isHeld() sees a holder and never takes the lock itself", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "x.lock");
    assert.equal(await FileLock.isHeld(path), false, "missing file");
    const first = await FileLock.tryAcquire(path);
    assert.ok(first);
    assert.equal(await FileLock.isHeld(path), true);
    first.release();
    // Checks running all the time must never make an acquisition fail or see each other.
    let stop = false;
    const seen: boolean[] = [];
    const checkers = Array.from({ length: 4 }, async () => {
      while (!stop) seen.push(await FileLock.isHeld(path));
    });
    for (let round = 0; round < 200; round++) {
      const lock = await FileLock.tryAcquire(path);
      assert.ok(lock, `acquisition ${round} failed while only checks ran`);
      lock.release();
    }
    stop = true;
    await Promise.all(checkers);
    assert.ok(seen.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileLock.tryAcquireRemovable() excludes others and deletes its file when disposed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "session.lock");
    {
      await using first = await FileLock.tryAcquireRemovable(path);
      assert.ok(first);
      assert.equal(await FileLock.tryAcquireRemovable(path), undefined);
    }
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    await using again = await FileLock.tryAcquireRemovable(path);
    assert.ok(again, "a new lock file is taken after the old one is gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
