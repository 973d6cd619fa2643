// deno-lint-ignore-file no-control-regex -- escape codes are what these tests look for
/**
 * End-to-end: tables as a person sees them on a real terminal (a pty of 80 and 120 columns,
 * without NO_COLOR) and in a pipe: `status` with a recording running, `history`, the queue and
 * `tscompress`'s summary. On a terminal no escape code sits inside a cell, no header or word is
 * split, and a long path or name is shortened with an ellipsis; a pipe gets every value whole.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  makeSandbox,
  runCli,
  runCliOnTerminal,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import { waitForState, withHlsServer } from "../testing/live.ts";
import { makeClip, writeJob } from "../testing/encode_clips.ts";

/** 24 characters: close to Twitch's longest names. */
const LONG_USER = "archivist_one_long_name1";
const ELSEWHERE = "/srv/archive/old-recordings/from-the-python-tool";
const LONG_INPUT = `${ELSEWHERE}/${LONG_USER}_2026-07-14_07-14-37.mp4`;
const ESC = "\x1b";

/** Every header any table prints. */
const HEADERS = new Set([
  ..."# slot user pid state started for captured created input output error encoded duration size file"
    .split(" "),
  "live since",
  "remux",
  "encode",
  "output / note",
]);

/**
 * Checks the tables in `stdout` of a terminal `columns` wide: lines fit, escape codes only wrap
 * a whole header, headers are whole (one header line, then the rule), and each long value
 * appears whole or shortened around one ellipsis, never cut at a line end.
 */
function assertCleanTables(stdout: string, columns: number, longValues: readonly string[]) {
  const lines = stdout.split("\n");
  let tables = 0;
  lines.forEach((line, index) => {
    assert.doesNotMatch(line, /(?<!\x1b)\[\d+m/, `a literal escape code: ${line}`);
    if (!/^[┌│├└]/.test(line)) return; // log lines are the terminal's to wrap
    const visible = line.replace(/\x1b\[[0-9;]*m/g, "");
    assert.ok(visible.length <= columns, `${visible.length} > ${columns} columns: ${visible}`);
    if (!line.startsWith("│")) return;
    const cells = line.split("│").slice(1, -1);
    const header = cells.some((cell) => cell.includes(ESC));
    for (const cell of cells) {
      if (!cell.includes(ESC)) continue;
      const match = /^ \x1b\[1m([^\x1b]+)\x1b\[22m +$/.exec(cell);
      assert.ok(match, `escape code inside a cell: ${JSON.stringify(cell)}`);
      assert.ok(HEADERS.has(match[1]!), `a split header: ${JSON.stringify(match[1])}`);
    }
    if (header) {
      tables++;
      assert.ok(lines[index + 1]?.startsWith("├"), `a header of two lines: ${lines[index + 1]}`);
    }
    for (const text of cells.map((cell) => cell.trim()).filter(Boolean)) {
      assertWholeOrShortened(text, longValues);
    }
  });
  assert.ok(tables > 0, `no table with a bold header in:\n${stdout}`);
}

/**
 * A cell line that starts or ends like one of `values` is that value, or the value around one
 * `…` (a head and a tail of it): a value cut at a line end (`archivist|_one`) fails.
 */
function assertWholeOrShortened(text: string, values: readonly string[]) {
  const like = values.filter((value) =>
    text.startsWith(value.slice(0, 6)) || text.endsWith(value.slice(-6))
  );
  if (like.length === 0 || like.includes(text)) return;
  const [head = "", tail, ...more] = text.split("…");
  assert.ok(
    tail !== undefined && more.length === 0 &&
      like.some((value) => value.startsWith(head) && value.endsWith(tail)),
    `${JSON.stringify(text)} is neither one of ${like.join(", ")} nor shortened with an ellipsis`,
  );
}

/** Piped: every long value appears whole, nothing is shortened. */
function assertUnwrapped(stdout: string, longValues: readonly string[]) {
  for (const value of longValues) assert.ok(stdout.includes(value), `${value} not whole`);
  assert.ok(!stdout.includes("…"), `shortened in a pipe:\n${stdout}`);
}

async function onTerminals(
  sandbox: Sandbox,
  args: string[],
  longValues: readonly string[],
  code = 0,
): Promise<string[]> {
  const outputs: string[] = [];
  for (const columns of [80, 120]) {
    const result = await runCliOnTerminal(sandbox, args, { columns });
    assert.equal(result.code, code, result.stdout);
    assertCleanTables(result.stdout, columns, longValues);
    outputs.push(result.stdout);
  }
  return outputs;
}

Deno.test("status with a running recording and a queued job reads cleanly at 80 and 120 columns and whole in a pipe", async () => {
  await withHlsServer(async (server) => {
    await using sandbox = await makeSandbox({ urlTemplate: server.urlTemplate });
    await writeJob(sandbox, "a.json", {
      input: LONG_INPUT,
      output: LONG_INPUT.replace(".mp4", "_compressed.mp4"),
      created_at: "2026-07-14T10:00:00.000Z",
      delete_input_on_success: false,
    });
    server.goLive(LONG_USER);
    const recorder = spawnCli(sandbox, ["record", LONG_USER]);
    try {
      await waitForState(sandbox, LONG_USER, "capturing");
      const values = [LONG_USER, LONG_INPUT, LONG_INPUT.replace(".mp4", "_compressed.mp4")];
      const [narrow] = await onTerminals(sandbox, ["status"], values);
      assert.match(narrow!, /…/, "something had to give at 80 columns");
      assert.match(narrow!, /capturing/);
      await onTerminals(sandbox, ["encode-daemon", "status"], values);
      const piped = await runCli(sandbox, ["status"]);
      assert.equal(piped.code, 0, piped.stderr);
      assertUnwrapped(piped.stdout, values);
      assert.ok(piped.stdout.split("\n").some((line) => line.length > 120), "one line per row");
    } finally {
      recorder.kill("SIGINT");
      const result = await collect(recorder);
      assert.match(result.stderr, /Capture ended: stopped on request/);
      assert.doesNotMatch(
        result.stderr,
        /Stream not available; waiting[^\n]*\n(.*\n)*?.*Capture ended: stopped on request/,
        "a stop is not the stream going away",
      );
    }
  });
});

Deno.test("history with long names reads cleanly at 80 and 120 columns and whole in a pipe", async () => {
  await using sandbox = await makeSandbox();
  const dir = sandbox.recordDir;
  await Deno.mkdir(dir, { recursive: true });
  const users = [LONG_USER, "archivist_two_long_name2"];
  await makeClip(join(dir, `${users[0]}_2026-07-14_07-14-37.mp4`), {
    seconds: 1,
    width: 320,
    height: 240,
  });
  await makeClip(join(dir, `${users[1]}_2026-07-15_08-00-00_compressed.mp4`), {
    seconds: 1,
    width: 320,
    height: 240,
  });
  const [, wide] = await onTerminals(sandbox, ["history"], users);
  assert.ok(users.every((user) => wide!.includes(user)), "120 columns keep the names whole");
  assert.match(wide!, /yes, original deleted/);
  const piped = await runCli(sandbox, ["history"]);
  assert.equal(piped.code, 0, piped.stderr);
  assertUnwrapped(piped.stdout, [...users, "yes, original deleted"]);
});

Deno.test("history names each recording's file where 120 columns hold it, and still fits 80", async () => {
  await using sandbox = await makeSandbox();
  const dir = sandbox.recordDir;
  await Deno.mkdir(dir, { recursive: true });
  const files = [
    "alice_2026-07-15_08-00-00.mp4",
    "bobby_tables_2026-07-14_07-14-37_compressed.mp4",
  ];
  for (const file of files) {
    await makeClip(join(dir, file), { seconds: 1, width: 320, height: 240 });
  }
  const [narrow, wide] = (await onTerminals(sandbox, ["history"], [...files, "bobby_tables"]))
    .map((stdout) => stdout.replace(/\x1b\[[0-9;]*m/g, ""));
  assert.match(wide!, /│ file +│/, "120 columns have room for the file");
  for (const file of files) assert.match(wide!, new RegExp(`│ ${file} +│\n`), file);
  assert.doesNotMatch(narrow!, /│ file|_2026-07-15_08-00-00\.mp4/, "80 columns leave it out");
  assert.match(narrow!, /│ bobby_tables │/);
});

Deno.test("tscompress's summary keeps a long path readable at 80 and 120 columns and whole in a pipe", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const missing = join(sandbox.home, "a/folder/with/a/long/name", `${LONG_USER}_2026-07-14.ts`);
  const [narrow] = await onTerminals(sandbox, ["tscompress", missing], [missing], 1);
  assert.match(narrow!, new RegExp(`…[^│]*${LONG_USER}_2026-07-14\\.ts`), "the file name stays");
  const piped = await runCli(sandbox, ["tscompress", missing]);
  assert.equal(piped.code, 1, piped.stderr);
  assertUnwrapped(piped.stdout, [missing, "No such file, folder or match"]);
});
