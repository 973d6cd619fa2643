import assert from "node:assert/strict";
import { dirname } from "node:path";
import type { ActiveSlot } from "../state/slot_pool.ts";
import { FileLock } from "../state/file_lock.ts";
import { userLockPath } from "../state/user_lock.ts";
import { instantClock } from "../../testing/fake_clock.ts";
import { holdLock } from "../../testing/lock_holder.ts";
import { spawnChild } from "./spawn.ts";
import { stopRecording } from "./stop_recording.ts";

function slotOf(pid: number): ActiveSlot {
  return { slot: 1, pid, username: "alice", started_at: "", state: "capturing" };
}

Deno.test("stopRecording() with force reports killed when SIGKILL ends a recorder that ignores SIGINT", async () => {
  const runtimeDir = await Deno.makeTempDir();
  const lockPath = userLockPath(runtimeDir, "alice");
  await Deno.mkdir(dirname(lockPath), { recursive: true });
  const recorder = await holdLock(lockPath, "SIGINT");
  try {
    const result = await stopRecording(runtimeDir, slotOf(recorder.pid), {
      timeoutMs: 300,
      force: true,
    });
    assert.equal(result, "killed");
    assert.equal((await recorder.exited).signal, "SIGKILL");
  } finally {
    recorder.signal("SIGKILL");
    await recorder.exited;
    await Deno.remove(runtimeDir, { recursive: true });
  }
});

Deno.test("stopRecording() with force reports timeout, not killed, when the channel lock outlives SIGKILL", async () => {
  const runtimeDir = await Deno.makeTempDir();
  const lockPath = userLockPath(runtimeDir, "alice");
  await Deno.mkdir(dirname(lockPath), { recursive: true });
  const lock = await FileLock.tryAcquire(lockPath);
  const pidOwner = spawnChild("sleep", ["120"]);
  try {
    const clock = instantClock();
    const result = await stopRecording(runtimeDir, slotOf(pidOwner.pid), {
      timeoutMs: 10_000,
      force: true,
      clock,
    });
    assert.equal(result, "timeout");
  } finally {
    pidOwner.signal("SIGKILL");
    await pidOwner.exited;
    lock?.release();
    await Deno.remove(runtimeDir, { recursive: true });
  }
});
