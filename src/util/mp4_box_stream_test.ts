import assert from "node:assert/strict";
import { boxesOf } from "./mp4_box_stream.ts";
import { mp4Box } from "./mp4_box.ts";
import { concatBytes } from "./read_at.ts";

/** `bytes` as a stream of chunks of the given sizes, cycled. */
function chunked(bytes: Uint8Array, sizes: readonly number[]): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.byteLength; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return ReadableStream.from(chunks);
}

const BOXES = [
  mp4Box("ftyp", new Uint8Array(12).fill(1)),
  mp4Box("moov", new Uint8Array(300).fill(2)),
  mp4Box("moof", new Uint8Array(40).fill(3)),
  mp4Box("mdat", new Uint8Array(5000).fill(4)),
  mp4Box("moof", new Uint8Array(40).fill(5)),
  mp4Box("mdat", new Uint8Array(3).fill(6)),
];
const STREAM = BOXES.reduce((all, box) => concatBytes(all, box), new Uint8Array(0));

Deno.test("boxesOf yields every box whole and in order, however the stream is cut", async () => {
  for (const sizes of [[1], [3, 7], [8], [16, 1, 4096], [STREAM.byteLength]]) {
    const seen = [];
    for await (const box of boxesOf(chunked(STREAM, sizes))) seen.push(box);
    assert.deepEqual(seen.map((box) => box.bytes), BOXES, `chunks of ${sizes}`);
    let start = 0;
    for (const box of seen) {
      assert.equal(box.start, start);
      start += box.bytes.byteLength;
    }
    assert.deepEqual(seen.map((box) => box.type), ["ftyp", "moov", "moof", "mdat", "moof", "mdat"]);
  }
});

Deno.test("boxesOf refuses a stream that ends inside a box", async () => {
  const cut = STREAM.subarray(0, STREAM.byteLength - 2);
  const read = async () => {
    for await (const _ of boxesOf(chunked(cut, [100]))) { /* drained */ }
  };
  await assert.rejects(read, /ended inside a box \(9 bytes left\)/);
});
