/**
 * End-to-end: a stream host that does not answer is a network problem, said as such, not a
 * channel that is offline; `doctor` says which host it cannot reach instead of crashing.
 */
import assert from "node:assert/strict";
import { makeSandbox, runCli } from "./support/cli.ts";

Deno.test("record against a host that refuses connections says it cannot reach the stream, not that it is offline", async () => {
  // Port 9 (discard) on loopback: nothing listens, every connection is refused.
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const result = await runCli(sandbox, ["record", "no_route"]);
  assert.equal(result.code, 5, result.stderr);
  assert.match(
    result.stderr,
    /Cannot reach the stream of "no_route": "Connection refused \(127\.0\.0\.1:9\)"; a network problem, not the channel going offline; retrying/,
  );
  assert.doesNotMatch(result.stderr, /Stream not available; waiting|stayed offline/);
  assert.match(result.stderr, /Capture ended: the stream could not be reached for retry_window/);
  assert.match(
    result.stderr,
    /Nothing captured for "no_route": the stream could not be reached \(Connection refused \(127\.0\.0\.1:9\)\), a network problem/,
  );
});
