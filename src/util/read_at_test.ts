import assert from "node:assert/strict";
import { join } from "node:path";
import { readAt } from "./read_at.ts";

Deno.test("readAt() reads the asked range, and only what is there at the end of the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "bytes.bin");
    await Deno.writeFile(path, Uint8Array.from({ length: 300 }, (_, i) => i % 256));
    using file = await Deno.open(path, { read: true });
    assert.deepEqual([...await readAt(file, 10, 4)], [10, 11, 12, 13]);
    assert.deepEqual([...await readAt(file, 0, 2)], [0, 1], "seeks back");
    assert.deepEqual([...await readAt(file, 297, 10)], [41, 42, 43]);
    assert.equal((await readAt(file, 400, 8)).byteLength, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
