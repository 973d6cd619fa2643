/** Global options and output formats shared by every command. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, runCli } from "../testing/cli.ts";

Deno.test("--json-logs prints JSON Lines before or after the subcommand, --config too", async () => {
  await using sandbox = await makeSandbox({
    // A template without {user} is allowed, with a warning: every channel gets one URL.
    urlTemplate: "hls://http://127.0.0.1:9/same",
  });
  for (
    const args of [
      ["--json-logs", "--config", sandbox.configPath, "status", "--json"],
      ["status", "--json", "--config", sandbox.configPath, "--json-logs"],
    ]
  ) {
    const result = await runCli(sandbox, args);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split("\n");
    const records = lines.map((line) => JSON.parse(line));
    const warning = records.find((r) => /url_template/.test(r.message));
    assert.ok(warning, `no JSON warning in ${result.stderr}`);
    assert.equal(warning.level, "WARN");
    assert.match(warning.message, /"streamlink.url_template" has no \{user\} placeholder/);
    assert.ok(
      Array.isArray(JSON.parse(result.stdout).recordings),
      "stdout stays the command output",
    );
  }
});

Deno.test("without --json-logs a config warning is one human-readable line", async () => {
  await using sandbox = await makeSandbox({
    // A template without {user} is allowed, with a warning: every channel gets one URL.
    urlTemplate: "hls://http://127.0.0.1:9/same",
  });
  const result = await runCli(sandbox, ["status"]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /\[WRN\] twitchtool·config: "streamlink\.url_template" has no/);
  assert.throws(() => JSON.parse(result.stderr.trim()));
});

Deno.test("an unknown config key is an error with exit 2 naming the line and the closest key; nothing starts", async () => {
  await using sandbox = await makeSandbox({
    urlTemplate: "hls://http://127.0.0.1:9/{user}",
    extraConfig: '\n[paths]\nrecord_dirr = "/tmp/x"\n',
  });
  // The sandbox config already has a [paths] table: a second one is a TOML error, so put the
  // typo at the top of the file instead.
  const text = await Deno.readTextFile(sandbox.configPath);
  await sandbox.writeConfig(
    'record_dirr = "/tmp/elsewhere"\n' + text.replace('\n[paths]\nrecord_dirr = "/tmp/x"\n', ""),
  );
  for (const args of [["status"], ["record", "alice"], ["poller", "run"]]) {
    const result = await runCli(sandbox, args);
    const label = args.join(" ");
    assert.equal(result.code, 2, `${label}: ${result.stderr}`);
    assert.equal(result.stdout, "", label);
    assert.match(
      result.stderr,
      /\[ERR\] twitchtool: Unknown key "record_dirr" in config ".*config\.toml": line 1: did you mean "paths\.record_dir"\?/,
      label,
    );
  }
  const logs = await Array.fromAsync(Deno.readDir(sandbox.home)).then((entries) =>
    entries.map((entry) => entry.name).sort()
  );
  assert.deepEqual(logs, [".config", "Videos"], "no state, run or record folder was created");
});

Deno.test("a clamped --crf names the flag, not the config file", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const result = await runCli(sandbox, ["tscompress", "--crf", "99", join(sandbox.home, "no.ts")]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /\[WRN\] twitchtool·encode: --crf 99 is outside 0-51: using 51/);
  assert.doesNotMatch(result.stderr, /encode_daemon\.crf/);
});

Deno.test("tscompress names a file it cannot read without quotes nested in quotes", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const input = join(sandbox.home, "not-media.ts");
  await Deno.writeTextFile(input, "hello");
  const result = await runCli(sandbox, ["tscompress", input]);
  assert.equal(result.code, 1, result.stderr);
  const line = result.stderr.split("\n").find((text) => text.includes("[ERR]"));
  assert.ok(line, result.stderr);
  assert.match(
    line,
    new RegExp(`: Cannot remux "${input}": Cannot read input "${input}" as media$`),
  );
  assert.doesNotMatch(line, /'|\\"/, "no quotes inside quotes");
});
