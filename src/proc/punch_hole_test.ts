import assert from "node:assert/strict";
import { join } from "node:path";
import { PUNCH_ALIGN, punchHole } from "./punch_hole.ts";

Deno.test("punchHole() frees the whole blocks inside the range and keeps every byte outside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "part.ts");
    const bytes = new Uint8Array(64 * PUNCH_ALIGN).map((_, i) => 1 + (i % 251));
    await Deno.writeFile(path, bytes);
    using file = await Deno.open(path, { read: true });
    await file.sync();
    const before = (await Deno.stat(path)).blocks!;
    const freed = await punchHole(path, 1000, 40 * PUNCH_ALIGN + 7);
    assert.equal(freed, 39 * PUNCH_ALIGN);
    const after = await Deno.stat(path);
    assert.equal(after.size, bytes.length, "the size stays");
    assert.ok(after.blocks! < before, `${after.blocks} blocks, ${before} before`);
    const read = await Deno.readFile(path);
    assert.deepEqual(read.subarray(0, PUNCH_ALIGN), bytes.subarray(0, PUNCH_ALIGN));
    assert.ok(read.subarray(PUNCH_ALIGN, 40 * PUNCH_ALIGN).every((b) => b === 0));
    assert.deepEqual(read.subarray(40 * PUNCH_ALIGN), bytes.subarray(40 * PUNCH_ALIGN));
    assert.equal(await punchHole(path, 10, 4000), 0, "no whole block inside");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
