import assert from "node:assert/strict";
import { join } from "node:path";
import { isTailOfPart } from "./part_tail.ts";

Deno.test("isTailOfPart() is true only for a byte-exact tail of the earlier part", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    const write = async (name: string, data: Uint8Array) => {
      await Deno.writeFile(join(dir, name), data);
      return join(dir, name);
    };
    const earlier = await write("p1.ts", bytes);
    assert.equal(await isTailOfPart(await write("same.ts", bytes), earlier), true);
    assert.equal(await isTailOfPart(await write("tail.ts", bytes.slice(70_001)), earlier), true);
    const changed = bytes.slice(70_001);
    changed[changed.length - 1] = 255;
    assert.equal(await isTailOfPart(await write("changed.ts", changed), earlier), false);
    assert.equal(await isTailOfPart(await write("head.ts", bytes.slice(0, 1000)), earlier), false);
    const longer = new Uint8Array([1, ...bytes]);
    assert.equal(await isTailOfPart(await write("longer.ts", longer), earlier), false);
    assert.equal(await isTailOfPart(await write("empty.ts", new Uint8Array()), earlier), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
