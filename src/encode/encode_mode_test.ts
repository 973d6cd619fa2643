import assert from "node:assert/strict";
import { join } from "node:path";
import { readEnableRemux, setEnableRemux, writeEncodeMode } from "./encode_mode.ts";

const COMMENTED = `# My twitchtool config
[paths]
record_dir = "~/Videos/Twitch" # where it all goes

[record]
# keep the original quality
quality = "best"
  enable_remux = false   # flipped by encode-mode

[encode_daemon]
crf = 28
`;

Deno.test("setEnableRemux() changes only the value, keeping indentation and comments", () => {
  const updated = setEnableRemux(COMMENTED, true);
  assert.equal(
    updated,
    COMMENTED.replace("enable_remux = false   #", "enable_remux = true   #"),
  );
  assert.equal(setEnableRemux(updated, false), COMMENTED);
});

Deno.test("setEnableRemux() adds the key after the last setting of [record]", () => {
  const text = `[record]\nquality = "best"\n\n# encoder\n[encode_daemon]\ncrf = 28\n`;
  assert.equal(
    setEnableRemux(text, false),
    `[record]\nquality = "best"\nenable_remux = false\n\n# encoder\n[encode_daemon]\ncrf = 28\n`,
  );
});

Deno.test("setEnableRemux() appends a [record] table when there is none", () => {
  assert.equal(setEnableRemux("", true), "[record]\nenable_remux = true\n");
  assert.equal(
    setEnableRemux('# nothing yet\n[paths]\nlogs_dir = "/l"', false),
    '# nothing yet\n[paths]\nlogs_dir = "/l"\n\n[record]\nenable_remux = false\n',
  );
});

Deno.test("setEnableRemux() keeps CRLF line endings and handles a dotted key", () => {
  const crlf = "[record]\r\nenable_remux = true\r\n";
  assert.equal(setEnableRemux(crlf, false), "[record]\r\nenable_remux = false\r\n");
  const dotted = "record.enable_remux = true # top level\n[paths]\n";
  assert.equal(setEnableRemux(dotted, false), "record.enable_remux = false # top level\n[paths]\n");
});

Deno.test("writeEncodeMode() creates a missing file and keeps an existing file's mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "encode-mode-test-" });
  try {
    const created = join(dir, "new", "config.toml");
    const result = await writeEncodeMode(created, false);
    assert.deepEqual(result, { path: created, created: true, changed: true });
    assert.equal(readEnableRemux(await Deno.readTextFile(created), created), false);
    assert.equal((await Deno.stat(created)).mode! & 0o777, 0o600);

    const existing = join(dir, "config.toml");
    await Deno.writeTextFile(existing, COMMENTED, { mode: 0o640 });
    await Deno.chmod(existing, 0o640);
    const link = join(dir, "link.toml");
    await Deno.symlink(existing, link);
    const changed = await writeEncodeMode(link, true);
    assert.equal(changed.path, existing);
    assert.ok((await Deno.lstat(link)).isSymlink, "the symlink stays a symlink");
    assert.equal((await Deno.stat(existing)).mode! & 0o777, 0o640);
    assert.equal(readEnableRemux(await Deno.readTextFile(existing), existing), true);
    const again = await writeEncodeMode(link, true);
    assert.equal(again.changed, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeEncodeMode() refuses a layout it cannot edit safely", async () => {
  const dir = await Deno.makeTempDir({ prefix: "encode-mode-test-" });
  try {
    const path = join(dir, "config.toml");
    const inline = 'record = { quality = "best", enable_remux = true }\n';
    await Deno.writeTextFile(path, inline);
    await assert.rejects(() => writeEncodeMode(path, false), /edit it by hand/);
    assert.equal(await Deno.readTextFile(path), inline);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
