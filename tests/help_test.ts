/**
 * End-to-end: help output as a new user meets it, with the compiled binary's permission flags,
 * without NO_COLOR, in a pipe and on a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { makeSandbox, runCli, runCliOnTerminal } from "./support/cli.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** Every way of asking for help the issue found crashing. */
const HELP_ARGVS = [
  [],
  ["--help"],
  ["help"],
  ["help", "record"],
  ["record", "--help"],
  ["status", "--help"],
  ["poller", "run", "--help"],
  ["encode-daemon", "--help"],
];

Deno.test("help never asks for an environment variable, piped or with colours forced", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  for (const env of [{}, { FORCE_COLOR: "1", CLICOLOR_FORCE: "1" }]) {
    for (const args of HELP_ARGVS) {
      const result = await runCli(sandbox, args, { env });
      const label = `${JSON.stringify(args)} ${JSON.stringify(env)}`;
      assert.equal(result.code, 0, `${label}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /NotCapable|Unexpected error/, label);
      assert.match(result.stdout + result.stderr, /^Usage: twitchtool/m, label);
      assert.ok(!result.stdout.includes("\x1b["), `${label}: no escape codes in a pipe`);
    }
  }
});

Deno.test("help on a terminal prints at once instead of prompting for env access", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  for (const args of [["--help"], ["help", "record"], ["poller", "run", "--help"]]) {
    const result = await runCliOnTerminal(sandbox, args);
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stdout}`);
    assert.doesNotMatch(result.stdout, /Deno requests|NotCapable|Unexpected error/);
    assert.match(result.stdout, /^Usage: twitchtool/m);
  }
});
