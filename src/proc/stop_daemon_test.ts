import assert from "node:assert/strict";
import { writeJsonAtomic } from "../state/atomic_write.ts";
import { daemonPaths } from "../state/daemon_status.ts";
import { FakeClock } from "../../testing/fake_clock.ts";
import { holdLock } from "../../testing/lock_holder.ts";
import { spawnChild } from "./spawn.ts";
import { stopDaemon } from "./stop_daemon.ts";

Deno.test("stopDaemon() with force reports killed when SIGKILL ends a daemon that ignores SIGTERM", async () => {
  const stateDir = await Deno.makeTempDir();
  const paths = daemonPaths(stateDir, "poller");
  const daemon = await holdLock(paths.lock, "SIGTERM");
  try {
    await writeJsonAtomic(paths.pid, daemon.pid);
    const result = await stopDaemon(stateDir, "poller", { timeoutMs: 300, force: true });
    assert.equal(result, "killed");
    assert.equal((await daemon.exited).signal, "SIGKILL");
  } finally {
    daemon.signal("SIGKILL");
    await daemon.exited;
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("stopDaemon() with force reports timeout, not killed, when the lock outlives the SIGKILL wait", async () => {
  const stateDir = await Deno.makeTempDir();
  const paths = daemonPaths(stateDir, "poller");
  // The lock stays held (by another process) whatever happens to the pid the pid file names;
  // held by this process itself, a lock check that tries the lock would see it free.
  const holder = await holdLock(paths.lock, "SIGTERM");
  const pidOwner = spawnChild("sleep", ["120"]);
  try {
    await writeJsonAtomic(paths.pid, pidOwner.pid);
    const clock = new FakeClock();
    const result = await stopDaemon(stateDir, "poller", { timeoutMs: 10_000, force: true, clock });
    assert.equal(result, "timeout");
    assert.equal(
      clock.elapsed() >= 15_000,
      true,
      "it waited through SIGTERM's and SIGKILL's waits",
    );
  } finally {
    pidOwner.signal("SIGKILL");
    await pidOwner.exited;
    holder.signal("SIGKILL");
    await holder.exited;
    await Deno.remove(stateDir, { recursive: true });
  }
});
