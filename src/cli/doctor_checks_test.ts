import assert from "node:assert/strict";
import { join } from "node:path";
import { checkFolder, isOlder, MIN_STREAMLINK, parseVersion } from "./doctor_checks.ts";

Deno.test("parseVersion() reads streamlink and ffmpeg version lines", () => {
  assert.deepEqual(parseVersion("streamlink 5.2.1"), [5, 2, 1]);
  assert.deepEqual(parseVersion("streamlink 6.0"), [6, 0, 0]);
  assert.deepEqual(
    parseVersion("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers"),
    [5, 1, 9],
  );
  assert.equal(parseVersion("no digits here"), undefined);
});

Deno.test("isOlder() compares against streamlink 6.0", () => {
  assert.equal(isOlder([5, 2, 1], MIN_STREAMLINK), true);
  assert.equal(isOlder([6, 0, 0], MIN_STREAMLINK), false);
  assert.equal(isOlder([7, 1, 0], MIN_STREAMLINK), false);
});

Deno.test("checkFolder() is ok for a writable folder, notes a missing one, fails for a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await checkFolder("record", dir)).level, "ok");
    assert.equal((await checkFolder("record", join(dir, "a", "b"))).level, "note");
    await Deno.writeTextFile(join(dir, "file"), "");
    const result = await checkFolder("record", join(dir, "file"));
    assert.equal(result.level, "fail");
    assert.match(result.detail, /is not a folder/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"], "no probe left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
