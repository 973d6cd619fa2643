/**
 * The global cap: eight real recorders started at once with record_limit 3.
 */
import assert from "node:assert/strict";
import { collect, makeSandbox, runCli, spawnCli, statusJson } from "../testing/cli.ts";
import { eventually } from "../testing/eventually.ts";
import { startHlsServer } from "../testing/hls_server.ts";

Deno.test("record with a cap of 3: exactly 3 capture, the rest wait or exit 4 with --fail-fast, a waiter takes a freed slot", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  const users = [
    "ch_one",
    "ch_two",
    "ch_three",
    "ch_four",
    "ch_five",
    "ch_six",
    "ch_seven",
    "ch_eight",
  ];
  await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
  const recorders = new Map<string, Deno.ChildProcess>();
  try {
    for (const user of users) server.goLive(user);
    for (const user of users) {
      recorders.set(user, spawnCli(sandbox, ["record", user, "--record-limit", "3"]));
    }
    const capturing = await eventually("three recorders capturing", async () => {
      const status = await statusJson(sandbox);
      const active = status.recordings.filter((r) => r.state === "capturing");
      return active.length === 3 ? active : undefined;
    }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const status = await statusJson(sandbox);
    assert.equal(status.recordings.length, 3, JSON.stringify(status));
    assert.deepEqual(status.recordings.map((r) => r.slot), [1, 2, 3]);

    const failFast = await runCli(sandbox, [
      "record",
      "ch_nine",
      "--record-limit",
      "3",
      "--fail-fast",
    ]);
    assert.equal(failFast.code, 4, failFast.stderr);
    assert.match(failFast.stderr, /All 3 recording slots are in use \(slot1=/);

    const first = capturing[0]!;
    const firstProcess = recorders.get(first.user)!;
    firstProcess.kill("SIGINT");
    assert.equal((await collect(firstProcess)).code, 0);
    recorders.delete(first.user);

    const replacement = await eventually("a waiting recorder takes the freed slot", async () => {
      const now = await statusJson(sandbox);
      const active = now.recordings.filter((r) => r.state === "capturing");
      return active.length === 3 && active.find((r) => !capturing.some((c) => c.user === r.user));
    }, 60_000);
    assert.ok(!capturing.some((c) => c.user === replacement.user));
    assert.equal((await statusJson(sandbox)).recordings.length, 3);
  } finally {
    for (const process of recorders.values()) {
      try {
        process.kill("SIGINT");
      } catch { /* gone */ }
    }
    for (const process of recorders.values()) await collect(process);
    await server.close();
  }
});
