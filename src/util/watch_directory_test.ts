import assert from "node:assert/strict";
import { join } from "node:path";
import { FileLock } from "../state/file_lock.ts";
import { watchDirectory } from "./watch_directory.ts";

/** Counts what `watchDirectory` yields while `act` runs, plus a moment for late events. */
async function changesDuring(dir: string, act: () => Promise<void>): Promise<number> {
  const stop = new AbortController();
  let changes = 0;
  const watching = (async () => {
    for await (const _ of watchDirectory(dir, stop.signal)) changes++;
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await act();
  await new Promise((resolve) => setTimeout(resolve, 300));
  stop.abort();
  await watching;
  return changes;
}

Deno.test("watchDirectory: lock probes on a file in the folder are no change; a file renamed in is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lockPath = join(dir, "slot1.capture");
    await Deno.writeTextFile(lockPath, "");
    const probes = await changesDuring(dir, async () => {
      for (let i = 0; i < 20; i++) await FileLock.isHeldByWaiters(lockPath);
      await Deno.readTextFile(lockPath);
    });
    assert.equal(probes, 0, "20 lock probes and a read woke the watcher");

    const renamed = await changesDuring(dir, async () => {
      await Deno.writeTextFile(join(dir, "..slot1.owner.tmp"), "{}");
      await Deno.rename(join(dir, "..slot1.owner.tmp"), join(dir, "slot1.owner"));
    });
    assert.ok(renamed >= 1, "an owner file written and renamed in went unseen");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
