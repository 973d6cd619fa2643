import assert from "node:assert/strict";
import { spawnChild } from "../proc/spawn.ts";
import { probeChannel, probeChannels, type ProbeResult, type Spawner } from "./probe_channels.ts";

const SPEC = {
  urlTemplate: "https://example.invalid/{user}",
  quality: "best",
  extraArgs: ["--stream-timeout", "3"],
  timeoutMs: 300,
};

/** Runs a real program in place of streamlink, recording the argv it was given. */
function fakeStreamlink(program: string, programArgs: string[], seen: string[][]): Spawner {
  return (_command, args, options) => {
    seen.push([...args]);
    return spawnChild(program, programArgs, options);
  };
}

Deno.test("probeChannel() asks streamlink --stream-url and is live when it prints a URL", async () => {
  const seen: string[][] = [];
  const result = await probeChannel("alpha", SPEC, new AbortController().signal, {
    spawn: fakeStreamlink("echo", ["https://cdn.example/alpha/index.m3u8"], seen),
  });
  assert.equal(result, "live");
  assert.deepEqual(seen[0], [
    "--loglevel",
    "error",
    "--stream-timeout",
    "3",
    "--stream-url",
    "https://example.invalid/alpha",
    "best",
  ]);
});

Deno.test("probeChannel() is offline when streamlink fails or prints no URL", async () => {
  const signal = new AbortController().signal;
  assert.equal(
    await probeChannel("alpha", SPEC, signal, { spawn: fakeStreamlink("false", [], []) }),
    "offline",
  );
  assert.equal(
    await probeChannel("alpha", SPEC, signal, {
      spawn: fakeStreamlink("echo", ["error: No playable streams found"], []),
    }),
    "offline",
  );
});

Deno.test("probeChannel() kills a probe that outlives the timeout and counts it as timed out", async () => {
  let child: ReturnType<typeof spawnChild> | undefined;
  const spawn: Spawner = (_command, _args, options) => {
    child = spawnChild("sleep", ["30"], options);
    return child;
  };
  const result = await probeChannel("alpha", SPEC, new AbortController().signal, { spawn });
  assert.equal(result, "timeout");
  const exit = await child!.exited;
  assert.equal(exit.signal, "SIGKILL");
});

Deno.test("probeChannel() kills its probe at once when the poller shuts down", async () => {
  let child: ReturnType<typeof spawnChild> | undefined;
  const spawn: Spawner = (_command, _args, options) => {
    child = spawnChild("sleep", ["30"], options);
    return child;
  };
  const controller = new AbortController();
  const probing = probeChannel("alpha", { ...SPEC, timeoutMs: 60_000 }, controller.signal, {
    spawn,
  });
  controller.abort();
  assert.equal(await probing, "timeout");
  assert.equal((await child!.exited).signal, "SIGKILL");
});

Deno.test("probeChannel() reports a probe it cannot start as an error", async () => {
  const result = await probeChannel("alpha", SPEC, new AbortController().signal, {
    program: "/nonexistent/streamlink",
  });
  assert.equal(result, "error");
});

Deno.test("probeChannels() never runs more than `concurrency` probes at once", async () => {
  let running = 0;
  let peak = 0;
  const users = Array.from({ length: 9 }, (_, i) => `user_${i}`);
  const results = await probeChannels(users, 3, async (user): Promise<ProbeResult> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    if (user === "user_4") throw new Error("boom");
    return user.endsWith("1") ? "live" : "offline";
  }, new AbortController().signal);
  assert.equal(peak, 3);
  assert.equal(results.size, 9);
  assert.equal(results.get("user_1"), "live");
  assert.equal(results.get("user_2"), "offline");
  assert.equal(results.get("user_4"), "error");
});
