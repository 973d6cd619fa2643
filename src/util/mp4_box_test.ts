import assert from "node:assert/strict";
import { readBoxHeader } from "./mp4_box.ts";

function box(size: number, type: string, extra: number[] = []): Uint8Array {
  const bytes = new Uint8Array(8 + extra.length);
  new DataView(bytes.buffer).setUint32(0, size);
  bytes.set([...type].map((c) => c.charCodeAt(0)), 4);
  bytes.set(extra, 8);
  return bytes;
}

Deno.test("readBoxHeader() reads a 32-bit size and the type", () => {
  assert.deepEqual(readBoxHeader(box(24, "moov"), 0, 100), {
    type: "moov",
    headerSize: 8,
    size: 24,
  });
});

Deno.test("readBoxHeader() reads a 64-bit size when the size field is 1", () => {
  const bytes = box(1, "mdat", [0, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(readBoxHeader(bytes, 0, 100), {
    type: "mdat",
    headerSize: 16,
    size: 2 ** 32,
  });
});

Deno.test("readBoxHeader() takes a size of 0 as the rest of the enclosing range", () => {
  assert.equal(readBoxHeader(box(0, "mdat"), 0, 4242)?.size, 4242);
});

Deno.test("readBoxHeader() refuses cut-off headers and sizes below the header", () => {
  assert.equal(readBoxHeader(box(1, "mdat"), 0, 100), undefined);
  assert.equal(readBoxHeader(box(4, "free"), 0, 100), undefined);
  assert.equal(readBoxHeader(new Uint8Array(6), 0, 100), undefined);
});
