/**
 * End-to-end: checking whether a channel is being recorded (the way `status`, the poller and
 * `recover` check) never makes a real recorder starting at that instant exit 3.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../src/errors.ts";
import { isUserLocked } from "../src/state/user_lock.ts";
import { makeSandbox, runCli } from "../testing/cli.ts";

/** Nothing listens on port 9: every capture attempt fails fast, so each recorder ends with 5. */
const OFFLINE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

Deno.test("recorders started while checks hammer the channel lock never exit 3", async () => {
  await using sandbox = await makeSandbox({
    urlTemplate: OFFLINE,
    retryDelay: 0.2,
    retryWindow: 0.5,
  });
  let stop = false;
  let checks = 0;
  let sawHeld = false;
  const checker = async () => {
    while (!stop) {
      if (await isUserLocked(sandbox.runtimeDir, "lockcheck")) sawHeld = true;
      checks++;
    }
  };
  const checkers = [checker(), checker(), checker()];
  try {
    for (let run = 0; run < 6; run++) {
      const result = await runCli(sandbox, ["record", "lockcheck"]);
      assert.doesNotMatch(result.stderr, /already being recorded/, `run ${run}`);
      assert.equal(result.code, ExitCode.NothingCaptured, `run ${run}: ${result.stderr}`);
    }
  } finally {
    stop = true;
    await Promise.all(checkers);
  }
  assert.ok(checks > 100, `only ${checks} checks ran`);
  assert.ok(sawHeld, "the checks saw the recorders holding the channel lock");
});
