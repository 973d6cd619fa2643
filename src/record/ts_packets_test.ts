import assert from "node:assert/strict";
import { trimToCompletePackets, TS_PACKET_SIZE } from "./ts_packets.ts";

Deno.test("trimToCompletePackets() cuts a TS file back to whole 188-byte packets", async () => {
  const path = await Deno.makeTempFile();
  try {
    const bytes = new Uint8Array(TS_PACKET_SIZE * 5 + 77).fill(0xff);
    for (let i = 0; i < bytes.length; i += TS_PACKET_SIZE) bytes[i] = 0x47;
    await Deno.writeFile(path, bytes);
    assert.equal(await trimToCompletePackets(path), 77);
    assert.equal((await Deno.stat(path)).size, TS_PACKET_SIZE * 5);
    assert.equal(await trimToCompletePackets(path), 0);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("trimToCompletePackets() leaves a file that is not MPEG-TS untouched", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "not a transport stream");
    assert.equal(await trimToCompletePackets(path), 0);
    assert.equal(await Deno.readTextFile(path), "not a transport stream");
  } finally {
    await Deno.remove(path);
  }
});
