import assert from "node:assert/strict";
import { join } from "node:path";
import { removeOrphanSidecars } from "./orphan_sidecars.ts";

Deno.test("removeOrphanSidecars() keeps the chat while the compressed copy is left, removes it with the last video", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const stem = join(dir, "alice_2026-01-01_10-00-00");
    for (const suffix of ["_compressed.mp4", ".chat.json", ".info.json"]) {
      await Deno.writeTextFile(stem + suffix, "x");
    }
    // The original went (already deleted); the compressed copy remains: keep its chat.
    assert.deepEqual(await removeOrphanSidecars(`${stem}.mp4`), []);
    assert.ok((await Deno.stat(`${stem}.chat.json`)).isFile);
    await Deno.remove(`${stem}_compressed.mp4`);
    assert.deepEqual(await removeOrphanSidecars(`${stem}_compressed.mp4`), [
      `${stem}.chat.json`,
      `${stem}.info.json`,
    ]);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
