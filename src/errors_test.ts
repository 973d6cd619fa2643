import assert from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { describeSystemError } from "./errors.ts";

Deno.test("describeSystemError() turns file-system errors into one line naming the path", async () => {
  const deno = await Deno.readDir("/etc/passwd/x")[Symbol.asyncIterator]().next().catch((e) => e);
  assert.equal(describeSystemError(deno), `Cannot list "/etc/passwd/x": Not a directory`);
  const node = await statfs("/etc/passwd/x").catch((e) => e);
  assert.equal(
    describeSystemError(node),
    `Cannot check free space of "/etc/passwd/x": Not a directory`,
  );
  assert.equal(describeSystemError(new TypeError("x is undefined")), undefined, "bugs keep traces");
});
