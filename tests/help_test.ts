/**
 * End-to-end: help output as a new user meets it, with the compiled binary's permission flags,
 * without NO_COLOR, in a pipe and on a pseudo-terminal.
 */
import assert from "node:assert/strict";
import { CONFIG_FIELDS, fieldName } from "../src/config/schema.ts";
import { makeSandbox, runCli, runCliOnTerminal } from "../testing/cli.ts";

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

Deno.test("help <command> <subcommand> shows the subcommand's options; an unknown command exits 2", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const run = await runCli(sandbox, ["help", "poller", "run"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: twitchtool poller run \[options\]/);
  for (const option of ["--users-file", "--interval", "--download-cmd", "--logs-dir"]) {
    assert.ok(run.stdout.includes(option), option);
  }
  for (const args of [["help", "nonexistent"], ["help", "poller", "sideways"]]) {
    const unknown = await runCli(sandbox, args);
    assert.equal(unknown.code, 2, args.join(" "));
    assert.equal(unknown.stdout, "");
    assert.match(unknown.stderr, /Unknown command ".*": ".*" is not one of /);
  }
});

Deno.test("an unknown command, option or help topic is one logged error line with exit 2", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const cases: [string[], RegExp][] = [
    [["bogus"], /Unknown command "bogus": "bogus" is not one of record, /],
    [["help", "nosuch"], /Unknown command "nosuch": "nosuch" is not one of record, /],
    [["stauts"], /Unknown command "stauts": did you mean "status"\?/],
    [["poller", "sideways"], /Unknown command "poller sideways": "sideways" is not one of run, /],
    [["status", "--bogus"], /Unknown option "--bogus" \(run "twitchtool help status" for usage\)/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(sandbox, args);
    const label = args.join(" ");
    assert.equal(result.code, 2, label);
    assert.equal(result.stdout, "", label);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${label}: ${result.stderr}`);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d [\d:.]+ \[ERR\] twitchtool: /, label);
    assert.match(lines[0]!, message, label);
    assert.doesNotMatch(result.stderr, /error: |'/, `${label}: commander's own style`);
  }
});

Deno.test("every option that sets a config key shows its default, key and environment variable", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const keyed = new Set<string>();
  for (
    const command of [
      ["record"],
      ["recover"],
      ["status"],
      ["poller", "run"],
      ["stop"],
      ["clean"],
      ["users"],
      ["doctor"],
      ["encode-daemon", "run"],
      ["encode-daemon", "status"],
      ["tscompress"],
      ["history"],
    ]
  ) {
    const help = await runCli(sandbox, ["help", ...command]);
    assert.equal(help.code, 0, help.stderr);
    const text = help.stdout.replace(/\n {20,}/g, " ");
    assert.doesNotMatch(text, / \[[a-z_]+\.[a-z_]+\]/, "no bare [key] left");
    for (
      const match of text.matchAll(/\[default: ([^;\]]+); config ([a-z_.]+)(?:; env (\w+))?\]/g)
    ) {
      const field = CONFIG_FIELDS.find((f) => fieldName(f) === match[2]);
      assert.ok(field, `unknown key ${match[2]}`);
      assert.equal(match[3], field.env, `env of ${match[2]}`);
      keyed.add(match[2]!);
    }
  }
  assert.match(
    (await runCli(sandbox, ["help", "record"])).stdout.replace(/\n {20,}/g, " "),
    /--retry-window <seconds> +give up this long after the last captured part \[default: 900; config record\.retry_window; env RETRY_WINDOW\]/,
  );
  assert.match(
    (await runCli(sandbox, ["help", "poller", "run"])).stdout.replace(/\n {20,}/g, " "),
    /\[default: ~\/\.config\/twitchtool\/users\.txt; config poller\.users_file; env USERS_FILE\]/,
  );
  assert.ok(keyed.size >= 20, `only ${keyed.size} keys documented in help`);
});

/** The completion script for `shell`, written by the real CLI. */
async function completionScript(sandbox: Awaited<ReturnType<typeof makeSandbox>>, shell: string) {
  const result = await runCli(sandbox, ["completions", shell]);
  assert.equal(result.code, 0, result.stderr);
  const path = `${sandbox.home}/completion.${shell}`;
  await Deno.writeTextFile(path, result.stdout);
  return path;
}

async function shell(program: string, script: string): Promise<string> {
  const output = await new Deno.Command(program, { args: ["-c", script], stdout: "piped" })
    .output();
  assert.equal(output.code, 0, `${program} failed`);
  return new TextDecoder().decode(output.stdout);
}

Deno.test("completions bash completes commands, subcommands and options from the command tree", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const script = await completionScript(sandbox, "bash");
  const complete = (...words: string[]) =>
    shell(
      "bash",
      `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _twitchtool; echo "\${COMPREPLY[*]}"`,
    );
  assert.equal(await complete("twitchtool", "poller", "r"), "run\n");
  assert.equal(await complete("twitchtool", "--json-logs", "hi"), "history\n");
  assert.equal(await complete("twitchtool", "completions", "--h"), "--help\n");
  assert.equal(await complete("twitchtool", "record", "--retry-w"), "--retry-window\n");
  assert.equal(await complete("twitchtool", "record", "--config", ""), "\n", "a file follows");
  const top = (await complete("twitchtool", "")).trim().split(" ");
  for (const command of ["record", "encode-daemon", "history", "completions", "help"]) {
    assert.ok(top.includes(command), command);
  }
  const bad = await runCli(sandbox, ["completions", "tcsh"]);
  assert.equal(bad.code, 2);
});

Deno.test({
  name: "completions zsh and fish are valid scripts that complete the same tree",
  ignore: !(await hasProgram("zsh") && await hasProgram("fish")),
  fn: async () => {
    await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
    const zsh = await completionScript(sandbox, "zsh");
    const zshWords = await shell(
      "zsh",
      `compdef() {}; compadd() { print -r -- \${(P)2} }; _files() { print FILES }; ` +
        `source '${zsh}'; words=(twitchtool encode-daemon s); CURRENT=3; _twitchtool; ` +
        `words=(twitchtool users --users-file x); CURRENT=4; _twitchtool`,
    );
    assert.equal(zshWords, "run stop status --config --json-logs --help -h\nFILES\n");
    const fish = await completionScript(sandbox, "fish");
    const fishWords = await shell(
      "fish",
      `source '${fish}'; complete -C 'twitchtool encode-daemon st'; ` +
        `complete -C 'twitchtool history --l'`,
    );
    assert.match(fishWords, /^status\tShow whether.*\nstop\tStop the.*\n--limit\thow many.*\n$/);
  },
});

Deno.test("completions and history on a terminal", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const completions = await runCliOnTerminal(sandbox, ["completions", "bash"]);
  assert.equal(completions.code, 0, completions.stdout);
  assert.match(completions.stdout, /complete -o default -F _twitchtool twitchtool/);
  const history = await runCliOnTerminal(sandbox, ["history"]);
  assert.equal(history.code, 0, history.stdout);
  assert.match(history.stdout, /No finished recordings in /);
});

async function hasProgram(name: string): Promise<boolean> {
  try {
    return (await new Deno.Command("which", { args: [name], stdout: "null" }).output()).success;
  } catch {
    return false;
  }
}
