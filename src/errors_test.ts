import assert from "node:assert/strict";
import { ExitCode, exitCodeOf, MergeFailedError } from "./errors.ts";

Deno.test("exitCodeOf() maps a full disk anywhere to low disk (7), other surprises to 1", () => {
  const full = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  assert.equal(exitCodeOf(full), ExitCode.LowDisk);
  assert.equal(exitCodeOf(new Error("wrapped", { cause: full })), ExitCode.LowDisk);
  assert.equal(exitCodeOf(new MergeFailedError("bad parts")), ExitCode.MergeFailed);
  assert.equal(exitCodeOf(new Error("boom")), ExitCode.Failure);
});
