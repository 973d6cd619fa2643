import assert from "node:assert/strict";
import { rcloneFailure } from "./rclone_failure.ts";
import { progressOf } from "./upload_worker.ts";

// Lines as rclone 1.60 prints them with --use-json-log (copied from real runs).
const JSON_401 =
  `{"level":"error","msg":"Attempt 1/1 failed with 1 errors and: read metadata failed: Unauthorized: 401 Unauthorized","source":"cmd/cmd.go:283"}\n` +
  `2026/12/07 10:36:45 Failed to copyto: read metadata failed: Unauthorized: 401 Unauthorized`;

Deno.test("rcloneFailure() stops the queue on refused credentials, a missing remote, a full one", () => {
  assert.deepEqual(rcloneFailure(JSON_401, 1), {
    permanent: true,
    reason:
      "Credentials refused: Failed to copyto: read metadata failed: Unauthorized: 401 Unauthorized",
  });
  const missing = rcloneFailure(
    `2026/12/07 10:36:45 Failed to create file system for destination "nosuch:u1/": didn't find section in config file`,
    1,
  );
  assert.equal(missing.permanent, true);
  assert.match(missing.reason, /^Remote not configured: Failed to create file system/);
  const full = rcloneFailure(
    "2026/12/07 10:49:00 Failed to copyto: preallocate: file too big for remaining disk space",
    1,
  );
  assert.equal(full.permanent, true);
  assert.match(full.reason, /^Remote full: /);
});

Deno.test("rcloneFailure() retries what the network does", () => {
  const refused = rcloneFailure(
    `{"level":"error","msg":"Failed to copy: Put \\"http://127.0.0.1:9/a\\": dial tcp 127.0.0.1:9: connect: connection refused"}`,
    1,
  );
  assert.equal(refused.permanent, false);
  assert.match(refused.reason, /connection refused/);
  assert.deepEqual(rcloneFailure("", 5), { permanent: false, reason: "rclone exited with code 5" });
});

Deno.test("progressOf() reads bytes and speed from a stats line only", () => {
  const line =
    `{"level":"warning","msg":"...","stats":{"bytes":2125824,"speed":1076718.2,"totalBytes":3000000}}`;
  assert.deepEqual(progressOf(line), { bytes: 2125824, speed: 1076718.2 });
  assert.equal(progressOf(`{"level":"info","msg":"Copied (new)"}`), undefined);
  assert.equal(progressOf("not json"), undefined);
});

Deno.test("rcloneFailure() does not read a copy's debug lines (its argv names the local path)", () => {
  // A real `copyto --log-level DEBUG` to a server that is down, of a file under a folder "quota".
  const stderr = [
    String
      .raw`{"level":"debug","msg":"Version \"v1.60.1-DEV\" starting with parameters [\"rclone\" \"copyto\" \"quota/a.mp4\" \"d:a.mp4\" \"--config\" \"dead.conf\" \"--use-json-log\" \"--log-level\" \"DEBUG\"]","object":"rclone","objectType":"string","source":"cmd/cmd.go:414"}`,
    String
      .raw`{"level":"error","msg":"Attempt 1/1 failed with 1 errors and: read metadata failed: Propfind \"http://127.0.0.1:9/a.mp4\": dial tcp 127.0.0.1:9: connect: connection refused","source":"cmd/cmd.go:283"}`,
    `2026/12/07 13:41:57 Failed to copyto: read metadata failed: Propfind "http://127.0.0.1:9/a.mp4": dial tcp 127.0.0.1:9: connect: connection refused`,
  ].join("\n");
  const failure = rcloneFailure(stderr, 1);
  assert.equal(failure.permanent, false, failure.reason);
  assert.match(failure.reason, /^Failed to copyto: .*connection refused$/);
});
