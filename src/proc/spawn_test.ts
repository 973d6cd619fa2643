import assert from "node:assert/strict";
import { runFilter, runWithInput } from "./spawn.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("runWithInput() feeds stdin, closes it, and collects the output", async () => {
  const result = await runWithInput("cat", [], async (stdin) => {
    await stdin.write(bytes("first\n"));
    await stdin.write(bytes("second\n"));
  });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "first\nsecond\n");
});

Deno.test("runWithInput() rethrows a failing feed once the command ended", async () => {
  await assert.rejects(
    runWithInput("cat", [], async (stdin) => {
      await stdin.write(bytes("part"));
      throw new Error("source vanished");
    }),
    /source vanished/,
  );
});

Deno.test("runFilter() copies the command's stdout into the sink and leaves it open", async () => {
  const chunks: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
  const writer = sink.getWriter();
  const result = await runFilter("cat", [], (stdin) => stdin.write(bytes("through")), writer);
  assert.equal(result.code, 0);
  await writer.write(bytes(" and after"));
  await writer.close();
  const decoder = new TextDecoder();
  assert.equal(chunks.map((chunk) => decoder.decode(chunk)).join(""), "through and after");
});
