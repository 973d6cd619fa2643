import assert from "node:assert/strict";
import { join } from "node:path";
import { partContainer } from "./part_container.ts";

Deno.test("partContainer() tells MPEG-TS from fragmented MP4 by content, whatever the name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = async (name: string, bytes: Uint8Array) => {
      await Deno.writeFile(join(dir, name), bytes);
      return join(dir, name);
    };
    const ts = new Uint8Array(188 * 2);
    ts[0] = 0x47;
    ts[188] = 0x47;
    const fmp4 = new Uint8Array([0, 0, 0, 16, ...new TextEncoder().encode("ftypiso6"), 0, 0, 0, 0]);
    assert.equal(await partContainer(await write("a_part01.ts", ts)), "mpegts");
    assert.equal(await partContainer(await write("b_part01.ts", fmp4)), "mp4");
    assert.equal(await partContainer(await write("c_part01.ts", ts.subarray(0, 100))), "mpegts");
    const broken = ts.slice();
    broken[188] = 0;
    assert.equal(await partContainer(await write("d_part01.ts", broken)), undefined);
    assert.equal(await partContainer(await write("e_part01.ts", new Uint8Array())), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
