import assert from "node:assert/strict";
import { join } from "node:path";
import { lockedCommand } from "../proc/locked_command.ts";
import { AlreadyRunningError } from "../errors.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";
import { slotPaths, SlotPool } from "./slot_pool.ts";
import { acquireUserLock, isUserLocked, userCaptureLockPath } from "./user_lock.ts";

/** Runs `sleep` holding `locks` the way a capture's streamlink holds them (nested flocks). */
async function holdLocks(locks: string[]): Promise<Deno.ChildProcess> {
  const locked = lockedCommand(locks, "sleep", ["60"]);
  const child = new Deno.Command(locked.command, { args: locked.args, stdin: "null" }).spawn();
  for (let i = 0; i < 200; i++) {
    const held = await Promise.all(locks.map((path) => FileLock.isHeld(path)));
    if (held.every(Boolean)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error("the locks were never taken");
}

Deno.test("lockedCommand() nests flocks: one process holds every lock and the kernel names it", async () => {
  const dir = await Deno.makeTempDir();
  const locks = [join(dir, "a.lock"), join(dir, "b.lock")];
  const child = await holdLocks(locks);
  try {
    for (const path of locks) assert.equal(await FileLock.holderPid(path), child.pid);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  for (const path of locks) assert.equal(await FileLock.isHeld(path), false);
  assert.equal(await FileLock.holderPid(locks[0]!), undefined);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SlotPool counts a slot whose capture runs without its host, and only its adopter takes it", async () => {
  const runtimeDir = join(await Deno.makeTempDir(), "run");
  await ensureRuntimeDir(runtimeDir);
  const pool = new SlotPool(runtimeDir, 1);
  const owner = { pid: 4242, username: "alice", started_at: "2024-01-01T00:00:00Z" };
  const first = await pool.tryAcquire(owner);
  assert.equal(first?.index, 1);
  await first!.setState("capturing");
  const capture = await holdLocks([first!.captureLockPath]);
  try {
    first!.leave();
    assert.deepEqual(await pool.list(), [{
      slot: 1,
      ...owner,
      state: "capturing",
      unhosted: true,
    }]);
    assert.equal(await pool.cleanStale().then((removed) => removed.length), 0);
    const other = { pid: 99, username: "bob", started_at: "2024-01-01T00:00:01Z" };
    assert.equal(await pool.tryAcquire(other), undefined, "the cap holds");
    const adopter = await pool.tryAcquire({ ...owner, pid: 5555 }, 1);
    assert.equal(adopter?.index, 1);
    assert.deepEqual((await pool.list()).map((s) => [s.slot, s.pid, s.unhosted]), [
      [1, 5555, undefined],
    ]);
    await adopter!.release();
  } finally {
    capture.kill("SIGKILL");
    await capture.status;
  }
  assert.deepEqual(await pool.list(), []);
  const next = await pool.tryAcquire(owner);
  assert.equal(next?.index, 1, "free again once the capture ended");
  await next!.release();
  await Deno.remove(join(runtimeDir, ".."), { recursive: true });
});

Deno.test("acquireUserLock() refuses a channel whose capture runs without a recorder, unless adopting", async () => {
  const runtimeDir = join(await Deno.makeTempDir(), "run");
  await ensureRuntimeDir(runtimeDir);
  const capture = await holdLocks([userCaptureLockPath(runtimeDir, "alice")]);
  try {
    assert.equal(await isUserLocked(runtimeDir, "alice"), true);
    await assert.rejects(
      acquireUserLock(runtimeDir, "alice"),
      (error) => error instanceof AlreadyRunningError && /without a recorder/.test(error.message),
    );
    const lock = await acquireUserLock(runtimeDir, "alice", { adopting: true });
    lock.release();
  } finally {
    capture.kill("SIGKILL");
    await capture.status;
  }
  assert.equal(await isUserLocked(runtimeDir, "alice"), false);
  (await acquireUserLock(runtimeDir, "alice")).release();
  assert.ok(slotPaths(runtimeDir, 1).capture.endsWith("slot1.capture"));
  await Deno.remove(join(runtimeDir, ".."), { recursive: true });
});
