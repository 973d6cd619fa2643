/**
 * End-to-end: notification URLs whose passwords, tokens or header values hold `/`, `#`, `@` or a
 * malformed `%zz` escape. The real CLI (`notify test`, `doctor`, a `record` start-up) never
 * prints such a secret or a piece of it (stdout, stderr, files under the sandbox's state and
 * runtime folders); a URL it cannot use is one line and exit 2; a server answering with a
 * redirect gets a failure reported, and the redirect's target receives nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  defaultConfig,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
} from "../testing/cli.ts";
import { type NotifySink, startNotifySink } from "../testing/notify_sink.ts";

/** Secrets of URLs twitchtool accepts (an `@` in a password is fine: the last `@` ends it). */
const AT_PASSWORD = "Pw7Alpha@Pw7Bravo";
const API_KEY = "Ky8Alpha/Ky8Bravo@Ky8Charlie";
const NTFY_TOKEN = "tk_Tk9Alpha/Tk9Bravo@Tk9Charlie";
const MAIL_PASSWORD = "Ml6Alpha/Ml6Bravo@Ml6Charlie";
/** Secrets that make a URL unusable unless escaped. */
const SLASH_PASSWORD = "Sl1Alpha/Sl1Bravo";
const HASH_PASSWORD = "Hs2Alpha#Hs2Bravo";
const PERCENT_PASSWORD = "Pc3Alpha%zzPc3Bravo";
const PERCENT_KEY = "Pk4Alpha%zzPk4Bravo";

const SECRETS = [
  AT_PASSWORD,
  API_KEY,
  NTFY_TOKEN,
  MAIL_PASSWORD,
  SLASH_PASSWORD,
  HASH_PASSWORD,
  PERCENT_PASSWORD,
  PERCENT_KEY,
];

/** Each secret and each piece of it between special characters: none may be shown. */
const FORBIDDEN = SECRETS.flatMap((secret) => [
  secret,
  ...secret.split(/[/#@%]/).filter((piece) => piece.length >= 5),
]);

/** The lines of `text` that hold a secret or a piece of one. */
function leaks(text: string): string[] {
  return text.split("\n").filter((line) => FORBIDDEN.some((piece) => line.includes(piece)));
}

function assertNoSecret(text: string, where: string): void {
  assert.deepEqual(leaks(text), [], `secrets in ${where}`);
}

/** Every file under `dir` as one text. */
async function allText(dir: string): Promise<string> {
  let text = "";
  for (const name of await listDir(dir)) {
    const path = join(dir, name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info?.isDirectory) text += await allText(path);
    else if (info?.isFile) text += `${path}:\n${await Deno.readTextFile(path).catch(() => "")}`;
  }
  return text;
}

async function notifyConfig(sandbox: Sandbox, urls: string[]): Promise<void> {
  await sandbox.writeConfig(
    defaultConfig(sandbox, "hls://http://127.0.0.1:9/{user}") +
      `\n[notify]\nurls = ${JSON.stringify(urls)}\ngive_up_after = 2\n`,
  );
}

/**
 * An `apprise` that fails and prints its config file (the URL, secrets and all) on stderr, as
 * a real one may echo a URL it cannot use: twitchtool must mask what it passes on.
 */
async function installEchoingApprise(sandbox: Sandbox): Promise<Record<string, string>> {
  const binDir = join(sandbox.home, "echo-bin");
  await Deno.mkdir(binDir);
  const script = `#!/bin/sh
cfg=""
prev=""
for a in "$@"; do
  [ "$prev" = "-c" ] && cfg="$a"
  prev="$a"
done
echo "cannot notify $(cat "$cfg")" >&2
exit 1
`;
  await Deno.writeTextFile(join(binDir, "apprise"), script, { mode: 0o755 });
  return { PATH: `${binDir}:${sandbox.env.PATH}` };
}

/** Asserts `result` is one masked error line naming `notify.urls`, exit 2, no stack trace. */
function assertOneLineConfigError(result: CliResult, what: string): void {
  assert.equal(result.code, 2, `${what}: ${result.stderr}`);
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `${what}: one line:\n${result.stderr}`);
  assert.match(lines[0]!, /"notify\.urls"/, what);
  assert.doesNotMatch(result.stderr, /URIError|^\s+at /m, what);
  assertNoSecret(result.stdout + result.stderr, what);
}

Deno.test("passwords, tokens and header values with /, # or @ stay out of notify test, doctor and a recorder's output and logs", async () => {
  await using sink = startNotifySink();
  await using sandbox = await makeSandbox();
  const env = await installEchoingApprise(sandbox);
  await notifyConfig(sandbox, [
    `ntfy://carol:${AT_PASSWORD}@127.0.0.1:${sink.port}/streams`,
    `json://127.0.0.1:${sink.port}/hook?+X-Api-Key=${API_KEY}`,
    `ntfy://127.0.0.1:${sink.port}/alerts?token=${NTFY_TOKEN}`,
    `mailto://bob:${MAIL_PASSWORD}@example.com`,
  ]);

  const test = await runCli(sandbox, ["notify", "test"], { env });
  assert.equal(test.code, 1, `the apprise target fails:\n${test.stdout}${test.stderr}`);
  assertNoSecret(test.stdout + test.stderr, "notify test");
  assert.match(test.stdout, /^ok +ntfy:\/\/carol:\*\*\*@127\.0\.0\.1:\d+\/streams$/m);
  assert.match(test.stdout, /^ok +json:\/\/127\.0\.0\.1:\d+\/hook\?\+X-Api-Key=\*\*\*$/m);
  assert.match(test.stdout, /^ok +ntfy:\/\/127\.0\.0\.1:\d+\/alerts\?token=\*\*\*$/m);
  assert.match(test.stdout, /^failed +mailto:\/\/\*\*\*: apprise exited with code 1/m);
  const byPath = (path: string) => sink.requests.find((request) => request.path === path);
  assert.equal(
    byPath("/streams")?.headers.authorization,
    `Basic ${btoa(`carol:${AT_PASSWORD}`)}`,
  );
  assert.equal(byPath("/hook")?.headers["x-api-key"], API_KEY);
  assert.equal(byPath("/alerts")?.headers.authorization, `Bearer ${NTFY_TOKEN}`);

  const doctor = await runCli(sandbox, ["doctor", "--offline"], { env });
  assertNoSecret(doctor.stdout + doctor.stderr, "doctor");
  const notifyLines = doctor.stdout.split("\n").filter((line) => /notifications:/.test(line));
  assert.equal(notifyLines.length, 4, doctor.stdout);
  assert.ok(notifyLines.every((line) => line.startsWith("ok")), doctor.stdout);

  const record = await runCli(sandbox, ["record", "nobody_home"], { env });
  assert.equal(record.code, 5, record.stderr);
  assertNoSecret(record.stdout + record.stderr, "record");
  assertNoSecret(await allText(sandbox.stateDir), "state and logs");
  assertNoSecret(await allText(sandbox.runtimeDir), "the runtime folder");
});

Deno.test("a notification URL with an unescaped / or # in its password, or a %zz escape, is one masked line and exit 2", async () => {
  await using sandbox = await makeSandbox();
  const urls = [
    `ntfy://carol:${SLASH_PASSWORD}@127.0.0.1:1/streams`,
    `json://carol:${HASH_PASSWORD}@127.0.0.1:1/hook`,
    `ntfys://carol:${PERCENT_PASSWORD}@127.0.0.1:1/streams`,
    `jsons://127.0.0.1:1/hook?+X-Api-Key=${PERCENT_KEY}`,
  ];
  for (const url of urls) {
    await notifyConfig(sandbox, [url]);
    const test = await runCli(sandbox, ["notify", "test"]);
    assertOneLineConfigError(test, `notify test with ${url}`);
    assert.equal(test.stdout, "");
  }
  const record = await runCli(sandbox, ["record", "nobody_home"]);
  assertOneLineConfigError(record, "record start-up");
  assert.match(record.stderr, /"jsons:\/\/127\.0\.0\.1:1\/hook\?\+X-Api-Key=\*\*\*"/);
  await notifyConfig(sandbox, urls);
  const percent = await runCli(sandbox, ["record", "nobody_home"]);
  assertOneLineConfigError(percent, "record start-up");
  assert.match(percent.stderr, /"ntfy:\/\/carol:\*\*\*@127\.0\.0\.1:1\/streams"/);

  const doctor = await runCli(sandbox, ["doctor", "--offline"]);
  assertNoSecret(doctor.stdout + doctor.stderr, "doctor");
  const failed = doctor.stdout.split("\n").filter((line) => /^FAIL +notifications:/.test(line));
  assert.equal(failed.length, 4, doctor.stdout);
  assert.equal(doctor.code, 1);

  // A string where the list belongs: the config error names the key, never the URL's secret.
  await sandbox.writeConfig(
    defaultConfig(sandbox, "hls://http://127.0.0.1:9/{user}") +
      `\n[notify]\nurls = ${JSON.stringify(`ntfy://carol:${AT_PASSWORD}@127.0.0.1:1/t`)}\n`,
  );
  const notList = await runCli(sandbox, ["notify", "test"]);
  assertOneLineConfigError(notList, "notify.urls as a string");
  const notListDoctor = await runCli(sandbox, ["doctor", "--offline"]);
  assert.match(notListDoctor.stdout, /^FAIL +config: .*"notify\.urls", got "\*\*\*"$/m);
  assertNoSecret(notListDoctor.stdout + notListDoctor.stderr, "doctor with notify.urls a string");
  assertNoSecret(await allText(sandbox.stateDir), "state and logs");
});

Deno.test("notify test reports a 301, 302 or 307 answer as a failure and the redirect's target receives nothing", async () => {
  await using target = startNotifySink();
  await using sandbox = await makeSandbox();
  const redirectors: NotifySink[] = [];
  try {
    for (const status of [301, 302, 307]) {
      const redirector = startNotifySink();
      redirector.redirect = { status, location: `http://127.0.0.1:${target.port}/stolen` };
      redirectors.push(redirector);
    }
    await notifyConfig(
      sandbox,
      redirectors.map((r) => `json://127.0.0.1:${r.port}/hook?+X-Api-Key=${API_KEY}`),
    );
    const test = await runCli(sandbox, ["notify", "test"]);
    assert.equal(test.code, 1, test.stdout + test.stderr);
    for (const [index, status] of [301, 302, 307].entries()) {
      const port = redirectors[index]!.port;
      const line = test.stdout.split("\n").find((l) => l.includes(`127.0.0.1:${port}/`)) ?? "";
      assert.match(line, new RegExp(`^failed .*: HTTP ${status}\\b.*redirect`), test.stdout);
      assert.equal(redirectors[index]!.requests.length, 1, "the configured server was asked");
    }
    assert.deepEqual(target.requests, [], "the redirect's target received nothing");
    assertNoSecret(test.stdout + test.stderr, "notify test");
  } finally {
    for (const redirector of redirectors) await redirector[Symbol.asyncDispose]();
  }
});
