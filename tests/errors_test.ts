/**
 * End-to-end: mistakes a user makes end in one line naming the key or file at fault and the
 * documented exit code, never "Unexpected error" with a stack trace. The real CLI with the
 * binary's flags, without NO_COLOR, piped and on a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { binaryFlags } from "../src/permissions.ts";
import {
  cliCommandArgs,
  type CliResult,
  makeSandbox,
  runCli,
  runCliOnTerminal,
  shellQuote,
  spawnCli,
} from "../testing/cli.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** Asserts `stderr` is exactly `lines` error lines, each matching its pattern in order. */
function assertErrorLines(result: CliResult, patterns: RegExp[]): void {
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, patterns.length, result.stderr);
  patterns.forEach((pattern, index) => {
    assert.match(lines[index]!, /\[ERR\] twitchtool: /, result.stderr);
    assert.match(lines[index]!, pattern, result.stderr);
  });
  assert.doesNotMatch(result.stderr, /Unexpected error|\n\s+at /);
}

Deno.test("record with a record_dir inside a file exits 2 naming the key, on a pipe and a terminal", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig(
    `[paths]\nruntime_dir = "${sandbox.runtimeDir}"\nrecord_dir = "/etc/passwd/x"\n` +
      `[streamlink]\nurl_template = "${URL_TEMPLATE}"\n`,
  );
  const result = await runCli(sandbox, ["record", "somebody"]);
  assert.equal(result.code, 2);
  assertErrorLines(result, [
    /"paths\.record_dir" = "\/etc\/passwd\/x" cannot exist: "\/etc\/passwd" is a file, not a folder/,
  ]);
  const terminal = await runCliOnTerminal(sandbox, ["record", "somebody"]);
  assert.equal(terminal.code, 2, terminal.stdout);
  assert.match(terminal.stdout, /"paths\.record_dir" = "\/etc\/passwd\/x" cannot exist/);
  assert.doesNotMatch(terminal.stdout, /Unexpected error|Deno requests/);
});

Deno.test("doctor reports every config problem at once, still runs its other checks and sums up", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig(
    `[paths]\nruntime_dir = "${sandbox.runtimeDir}"\nrecord_dir = "/etc/passwd/x"\n` +
      `logs_dir = "/etc/hostname"\n[limits]\nrecord_limit = "many"\n`,
  );
  const result = await runCli(sandbox, ["doctor", "--offline"]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, "");
  const fails = result.stdout.split("\n").filter((line) => line.startsWith("FAIL  config: "));
  assert.equal(fails.length, 3, result.stdout);
  assert.match(fails[0]!, /"paths\.record_dir" = "\/etc\/passwd\/x" cannot exist/);
  assert.match(fails[1]!, /"paths\.logs_dir" = "\/etc\/hostname" is a file, not a folder/);
  assert.match(fails[2]!, /expected an integer from 1 to 64 for "limits\.record_limit"/);
  for (const check of ["ffmpeg", "disk space", "stale state", "poller", "encoder"]) {
    assert.match(result.stdout, new RegExp(`^(ok {2}|note|warn|FAIL) {2}${check}: `, "m"), check);
  }
  assert.match(result.stdout, /\n\d+ ok, \d+ note\(s\), \d+ warning\(s\), 3 failure\(s\)\n$/);
});

Deno.test("users with a users file inside a file or a folder as the file exits 2 naming it", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const inside = await runCli(sandbox, ["users", "--users-file", "/etc/passwd/x", "add", "abc"]);
  assert.equal(inside.code, 2);
  assertErrorLines(inside, [
    /^.*Invalid value "\/etc\/passwd\/x" for --users-file: it cannot exist: "\/etc\/passwd" is a file, not a folder$/,
  ]);
  const folder = await runCli(sandbox, ["users", "--users-file", sandbox.home, "list"]);
  assert.equal(folder.code, 2);
  assertErrorLines(folder, [/Invalid value ".*" for --users-file: it is a folder, not a file$/]);
});

Deno.test("an unterminated TOML string is named as such, with its line", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig(`[record]\nquality = "best\nretry_delay = 5\n`);
  const result = await runCli(sandbox, ["status"]);
  assert.equal(result.code, 2);
  assertErrorLines(result, [
    /Cannot parse config ".*config\.toml": line 2, column \d+: unterminated string/,
  ]);
});

Deno.test("a quoted number or boolean, nan and inf in the file exit 2 with one line naming key and value", async () => {
  await using sandbox = await makeSandbox();
  const path = sandbox.configPath.replace(/[.]/g, "\\.");
  const cases: [string, RegExp][] = [
    [
      `[notify]\ngive_up_after = "300"\n`,
      /line 2: expected a number >= 0 for "notify\.give_up_after", got "300" \(a string: write 300 without quotes\)$/,
    ],
    [
      `[chat]\nenabled = "yes"\n`,
      /line 2: expected true or false for "chat\.enabled", got "yes" \(a string: write true without quotes\)$/,
    ],
    [
      `[retention]\n\nmax_age_days = nan\n`,
      /line 3: expected a number >= 0 for "retention\.max_age_days", got nan$/,
    ],
    [
      `[notify]\ngive_up_after = -inf\n`,
      /line 2: expected a number >= 0 for "notify\.give_up_after", got -inf$/,
    ],
    [
      `[limits]\nrecord_limit = inf\n`,
      /line 2: expected an integer from 1 to 64 for "limits\.record_limit", got inf$/,
    ],
  ];
  for (const [toml, pattern] of cases) {
    await sandbox.writeConfig(toml);
    const result = await runCli(sandbox, ["status"]);
    assert.equal(result.code, 2, toml);
    assertErrorLines(result, [new RegExp(`Cannot use config "${path}": ${pattern.source}`)]);
  }
  // The environment is text: the same words are values there.
  await sandbox.writeConfig("");
  const fromEnv = await runCli(sandbox, ["status", "--json"], {
    env: { RECORD_LIMIT: "3", REMUX_ENABLED: "yes" },
  });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.equal(JSON.parse(fromEnv.stdout).record_limit, 3);
});

Deno.test("status --serve with a [web] listen that is no address exits 2 naming it and its line", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.writeConfig(`[web]\n\nlisten = "localhost"\n`);
  const serve = spawnCli(sandbox, ["status", "--serve", "127.0.0.1:0"]);
  // Either it ends (the config is refused) or it says it serves: then it ignored the config.
  const stdout = serve.stdout.getReader();
  const firstOutput = await stdout.read();
  if (!firstOutput.done) serve.kill("SIGTERM");
  await stdout.cancel();
  const stderr = await new Response(serve.stderr).text();
  const { code } = await serve.status;
  assert.equal(new TextDecoder().decode(firstOutput.value), "", "it served");
  assert.equal(code, 2, stderr);
  assertErrorLines({ code, stdout: "", stderr }, [
    /Cannot use "web\.listen" \(from config ".*config\.toml:3"\) "localhost": expected host:port/,
  ]);
});

Deno.test("doctor | head -3 ends quietly when head stops reading", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const command = [Deno.execPath(), ...cliCommandArgs(["doctor"], binaryFlags())]
    .map(shellQuote).join(" ");
  const output = await new Deno.Command("bash", {
    args: ["-c", `${command} 2>"$ERR" | head -3; echo "exit=\${PIPESTATUS[0]}"`],
    env: { ...sandbox.env, ERR: `${sandbox.home}/doctor.err` },
    clearEnv: true,
    stdout: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 4, stdout);
  assert.equal(lines[3], "exit=0");
  assert.equal(await Deno.readTextFile(`${sandbox.home}/doctor.err`), "");
});
