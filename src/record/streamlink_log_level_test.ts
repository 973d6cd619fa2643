import assert from "node:assert/strict";
import { streamlinkLogLevel } from "./streamlink_log_level.ts";

Deno.test("streamlinkLogLevel() raises streamlink's errors and warnings above info", () => {
  assert.equal(streamlinkLogLevel("error: No playable streams found on this URL: x"), "warning");
  assert.equal(streamlinkLogLevel("[cli][error] Unable to open URL: x (404)"), "warning");
  assert.equal(streamlinkLogLevel("[stream.hls][warning] Failed to reload playlist"), "warning");
  assert.equal(streamlinkLogLevel("[cli][critical] Out of memory"), "error");
  assert.equal(streamlinkLogLevel("[cli][info] Opening stream: best (hls)"), "info");
  assert.equal(
    streamlinkLogLevel("[stream.hls][debug] Reloading playlist"),
    "info",
    "record.loglevel decides what streamlink prints, the recorder shows it",
  );
  assert.equal(streamlinkLogLevel("Some other text"), "info");
});
