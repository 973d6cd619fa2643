/**
 * End-to-end: `history` lists finished recordings newest first with duration, size and whether
 * they are encoded, read from real media files, with the binary's flags and without NO_COLOR.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli } from "../testing/cli.ts";
import { makeClip } from "../testing/encode_clips.ts";

Deno.test("history lists finished recordings newest first, with duration, size and encode state", async () => {
  await using sandbox = await makeSandbox();
  const dir = sandbox.recordDir;
  await Deno.mkdir(join(dir, "temp"), { recursive: true });
  const clip = (name: string, seconds: number, ts = false) =>
    makeClip(join(dir, name), { seconds, width: 320, height: 240, ts });
  await clip("alice_2026-05-01_10-00-00.mp4", 3);
  await clip("alice_2026-05-01_10-00-00_compressed.mp4", 3);
  await clip("bob_2026-05-02_09-30-00.ts", 4, true);
  await clip("carol_2026-04-01_08-00-00_compressed.mp4", 2);
  await Deno.writeTextFile(join(dir, "notes.mp4"), "not a recording name");
  await Deno.writeTextFile(join(dir, "temp", "dave_2026-05-03_00-00-00_part01.ts"), "x");

  const json = await runCli(sandbox, ["history", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const { record_dir, recordings } = JSON.parse(json.stdout);
  assert.equal(record_dir, dir);
  assert.deepEqual(
    recordings.map((r: Record<string, unknown>) => [r.user, r.encoded, r.path !== null]),
    [["bob", false, true], ["alice", true, true], ["carol", true, false]],
  );
  const [bob, alice, carol] = recordings;
  assert.equal(bob.path, join(dir, "bob_2026-05-02_09-30-00.ts"));
  assert.equal(bob.bytes, (await Deno.stat(bob.path)).size);
  assert.ok(Math.abs(bob.duration_seconds - 4) < 0.3, `ts duration ${bob.duration_seconds}`);
  assert.ok(Math.abs(alice.duration_seconds - 3) < 0.3, `mp4 duration ${alice.duration_seconds}`);
  assert.equal(alice.compressed_path, join(dir, "alice_2026-05-01_10-00-00_compressed.mp4"));
  assert.ok(Math.abs(carol.duration_seconds - 2) < 0.3, "duration of the encode when alone");
  assert.equal(new Date(alice.started_at).getHours(), 10, "names carry local time");
  assert.deepEqual(recordings.map((r: { file: string }) => r.file), [
    join(dir, "bob_2026-05-02_09-30-00.ts"),
    join(dir, "alice_2026-05-01_10-00-00.mp4"),
    join(dir, "carol_2026-04-01_08-00-00_compressed.mp4"),
  ], "the file to open, whichever is left");

  const limited = JSON.parse((await runCli(sandbox, ["history", "--json", "--limit", "1"])).stdout);
  assert.deepEqual(limited.recordings.map((r: { user: string }) => r.user), ["bob"]);

  const human = await runCli(sandbox, ["history"]);
  assert.equal(human.code, 0, human.stderr);
  const rows = human.stdout.split("\n").filter((line) => /^│ \d{4}-/.test(line));
  assert.equal(rows.length, 3, human.stdout);
  // A pipe has no width: the file column is there.
  assert.match(
    rows[0]!,
    /│ 2026-05-02 09:30 │ bob +│ 4s +│ [\d.]+ KiB +│ no +│ bob_2026-05-02_09-30-00\.ts +│$/,
  );
  assert.match(rows[1]!, /│ alice +│ 3s +│ .*│ yes +│ alice_2026-05-01_10-00-00\.mp4 +│$/);
  assert.match(
    rows[2]!,
    /│ carol +│ 2s +│ .*│ yes, original deleted │ carol_2026-04-01_08-00-00_compressed\.mp4 │$/,
  );
  assert.ok(!/│ chat/.test(human.stdout), "no chat column without chat files");

  await Deno.writeTextFile(
    join(dir, "alice_2026-05-01_10-00-00.chat.json"),
    JSON.stringify({ comments: [{ _id: "a" }, { _id: "b" }] }),
  );
  const withChat = JSON.parse((await runCli(sandbox, ["history", "--json"])).stdout);
  assert.deepEqual(
    withChat.recordings.map((r: { chat_messages: number | null }) => r.chat_messages),
    [null, 2, null],
  );
  const chatRows = (await runCli(sandbox, ["history"])).stdout.split("\n")
    .filter((line) => /^│ \d{4}-/.test(line));
  assert.match(chatRows[1]!, /│ alice +│ 3s +│ .*│ yes +│ 2 +│ alice_.*\.mp4 +│$/);

  const bad = await runCli(sandbox, ["history", "--limit", "none"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid value "none" for --limit: expected a whole number >= 1/);
});
