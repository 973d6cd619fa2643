import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireDaemon, removeStalePidFile } from "./daemon_state.ts";
import { daemonPaths } from "./daemon_status.ts";
import { FileLock } from "./file_lock.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";
import { findStaleState } from "./stale_state.ts";
import { slotPaths } from "./slot_pool.ts";
import { userLockPath } from "./user_lock.ts";

Deno.test("findStaleState() finds unheld owner files, dead daemons' pid files and orphan sessions", async () => {
  const root = await Deno.makeTempDir();
  const dirs = {
    runtimeDir: join(root, "run"),
    stateDir: join(root, "state"),
    tempDir: join(root, "temp"),
  };
  await ensureRuntimeDir(dirs.runtimeDir);
  for (const dir of [dirs.stateDir, dirs.tempDir]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  const held = await FileLock.tryAcquire(slotPaths(dirs.runtimeDir, 1).lock);
  const userHeld = await FileLock.tryAcquire(userLockPath(dirs.runtimeDir, "alive"));
  const poller = await acquireDaemon(dirs.stateDir, "poller");
  try {
    await Deno.writeTextFile(slotPaths(dirs.runtimeDir, 1).owner, "{}");
    await Deno.writeTextFile(slotPaths(dirs.runtimeDir, 2).owner, "{}");
    await Deno.writeTextFile(daemonPaths(dirs.stateDir, "encoder").pid, "12345");
    await Deno.writeTextFile(join(dirs.tempDir, "alive_x.session.json"), '{"user":"alive"}');
    await Deno.writeTextFile(join(dirs.tempDir, "dead_x.session.json"), '{"user":"dead"}');

    const stale = await findStaleState(dirs);
    assert.deepEqual(stale.ownerFiles, [slotPaths(dirs.runtimeDir, 2).owner]);
    assert.deepEqual(stale.pidFiles, [daemonPaths(dirs.stateDir, "encoder").pid]);
    assert.deepEqual(stale.sessions, [join(dirs.tempDir, "dead_x.session.json")]);

    assert.equal(await removeStalePidFile(dirs.stateDir, "poller"), undefined, "poller is alive");
    assert.equal(
      await removeStalePidFile(dirs.stateDir, "encoder"),
      daemonPaths(dirs.stateDir, "encoder").pid,
    );
    assert.deepEqual((await findStaleState(dirs)).pidFiles, []);
  } finally {
    held?.release();
    userHeld?.release();
    await poller.release();
    await Deno.remove(root, { recursive: true });
  }
});
