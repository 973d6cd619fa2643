/**
 * End-to-end: parallel `users add/remove` runs of the real CLI never lose an edit, and bytes
 * that are not UTF-8 survive every edit unchanged.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { collect, makeSandbox, runCli, spawnCli } from "../testing/cli.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** A header with Latin-1 and stray bytes (invalid UTF-8), in comments and a listed line. */
const HEADER = new Uint8Array([
  ...new TextEncoder().encode("# caf"),
  0xe9,
  0x20,
  0xff,
  0xfe,
  0x80,
  0x0a,
  ...new TextEncoder().encode("keeper  # \u00e9t\u00e9 "),
  0x9d,
  0xc3,
  0x0a,
]);

Deno.test("20 parallel users add and 10 parallel users remove all land and keep foreign bytes", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const usersFile = join(sandbox.home, ".config", "twitchtool", "users.txt");
  await Deno.writeFile(usersFile, HEADER);
  const names = Array.from({ length: 20 }, (_, index) => `chan_${index}`);

  const adds = await Promise.all(
    names.map((name) => collect(spawnCli(sandbox, ["users", "add", name]))),
  );
  adds.forEach((result, index) =>
    assert.equal(result.code, 0, `add ${names[index]}: ${result.stderr}`)
  );
  const listed = await runCli(sandbox, ["users", "list"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split("\n").sort(), ["keeper", ...names].sort());
  const afterAdd = await Deno.readFile(usersFile);
  assert.deepEqual(afterAdd.subarray(0, HEADER.length), HEADER, "header bytes unchanged");

  const removed = names.filter((_, index) => index % 2 === 0);
  const removes = await Promise.all(
    removed.map((name) => collect(spawnCli(sandbox, ["users", "remove", name]))),
  );
  removes.forEach((result) => assert.equal(result.code, 0, result.stderr));
  const afterRemove = await Deno.readFile(usersFile);
  assert.deepEqual(afterRemove.subarray(0, HEADER.length), HEADER, "header bytes unchanged");
  const left = await runCli(sandbox, ["users", "list"]);
  assert.deepEqual(
    left.stdout.trim().split("\n").sort(),
    ["keeper", ...names.filter((name) => !removed.includes(name))].sort(),
  );
  const kept = new TextDecoder().decode(afterRemove.subarray(HEADER.length));
  assert.equal(
    kept.split("\n").filter(Boolean).sort().join(","),
    names.filter((name) => !removed.includes(name)).sort().join(","),
  );
});
