/** Global options and output formats shared by every command. */
import assert from "node:assert/strict";
import { makeSandbox, runCli } from "../testing/cli.ts";

Deno.test("--json-logs prints JSON Lines before or after the subcommand, --config too", async () => {
  await using sandbox = await makeSandbox({
    urlTemplate: "hls://http://127.0.0.1:9/{user}",
    extraConfig: "\n[poller]\nmystery_key = 1\n",
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
    const warning = records.find((r) => /mystery_key/.test(r.message));
    assert.ok(warning, `no JSON warning in ${result.stderr}`);
    assert.equal(warning.level, "WARN");
    assert.match(warning.message, /Unknown key "poller.mystery_key" in config/);
    assert.ok(
      Array.isArray(JSON.parse(result.stdout).recordings),
      "stdout stays the command output",
    );
  }
});

Deno.test("without --json-logs a config warning is one human-readable line", async () => {
  await using sandbox = await makeSandbox({
    urlTemplate: "hls://http://127.0.0.1:9/{user}",
    extraConfig: "\n[poller]\nmystery_key = 1\n",
  });
  const result = await runCli(sandbox, ["status"]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /\[WRN\] twitchtool·config: Unknown key "poller\.mystery_key"/);
  assert.throws(() => JSON.parse(result.stderr.trim()));
});
