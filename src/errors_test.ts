import assert from "node:assert/strict";
import { statfs } from "node:fs/promises";
import { describeSystemError, ExitCode, exitCodeOf, MergeFailedError } from "./errors.ts";

Deno.test("exitCodeOf() maps a full disk anywhere to low disk (7), other surprises to 1", () => {
  const full = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  assert.equal(exitCodeOf(full), ExitCode.LowDisk);
  assert.equal(exitCodeOf(new Error("wrapped", { cause: full })), ExitCode.LowDisk);
  assert.equal(exitCodeOf(new MergeFailedError("bad parts")), ExitCode.MergeFailed);
  assert.equal(exitCodeOf(new Error("boom")), ExitCode.Failure);
});

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
