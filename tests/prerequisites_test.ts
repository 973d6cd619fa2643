/**
 * The front door's set-up (`tasks/prerequisites.ts`, run by `deno task demo` and `deno task
 * test`): what it does for root and for anyone else, and the real script against a PATH that
 * lacks a program. No test here lets it reach apt-get: the spawned runs get a PATH without it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  aptPackages,
  missingFor,
  type Prerequisite,
  PREREQUISITES,
  setupPlan,
} from "../tasks/prerequisites.ts";
import { TEST_ROOTS, testArgs } from "../tasks/test.ts";
import { findExecutable } from "../src/proc/which.ts";

const ROOT = new URL("..", import.meta.url);
const SCRIPT = new URL("../tasks/prerequisites.ts", import.meta.url).pathname;

function item(program: string): Prerequisite {
  const found = PREREQUISITES.find((entry) => entry.program === program);
  assert.ok(found, program);
  return found;
}

Deno.test("setupPlan() installs as root with apt-get, each package once", () => {
  const missing = [item("ffmpeg"), item("ffprobe"), item("flock"), item("chromium")];
  assert.deepEqual(setupPlan("test", missing, { root: true, aptGet: true }), {
    kind: "install",
    packages: ["ffmpeg", "util-linux", "chromium"],
  });
  assert.deepEqual(setupPlan("test", [], { root: false, aptGet: true }), { kind: "ready" });
});

Deno.test("setupPlan() gives anyone else the one sudo apt-get command and blocks on a needed program", () => {
  const plan = setupPlan("test", [item("streamlink"), item("script"), item("fish")], {
    root: false,
    aptGet: true,
  });
  assert.equal(plan.kind, "advise");
  assert.ok(plan.kind === "advise");
  assert.equal(plan.blocking, true);
  assert.equal(
    plan.lines.at(-1),
    "install them with: sudo apt-get install -y streamlink bsdutils fish",
  );
  assert.match(plan.lines[0]!, /^deno task test is missing "streamlink" \(records the stream\), /);
  assert.match(
    plan.lines[0]!,
    /"script" \(the terminal tests run the CLI on a pseudo-terminal, from bsdutils\)/,
  );
});

Deno.test("setupPlan() goes on without optional programs: their tests are skipped", () => {
  const plan = setupPlan("test", [item("chromium")], { root: true, aptGet: false });
  assert.deepEqual(plan, {
    kind: "advise",
    lines: [
      'deno task test is missing "chromium" (renders the status page in tests/web_test.ts)',
      "install it with: apt-get install -y chromium",
      'going on: the tests that need "chromium" are skipped',
    ],
    blocking: false,
  });
});

Deno.test("the demo needs only the recording tools, the tests all of them", async () => {
  assert.deepEqual((await missingFor("demo", "")).map((entry) => entry.program), [
    "streamlink",
    "ffmpeg",
    "ffprobe",
    "flock",
  ]);
  assert.deepEqual(
    aptPackages(await missingFor("test", "")),
    [
      "streamlink",
      "ffmpeg",
      "util-linux",
      "bsdutils",
      "zsh",
      "fish",
      "chromium",
      "apprise",
      "rclone",
    ],
  );
});

/** A folder `dir/name` of links to every prerequisite this machine has, except `without`. */
async function fakePath(dir: string, name: string, without: string[]): Promise<string> {
  const bin = join(dir, name);
  await Deno.mkdir(bin);
  for (const { program } of PREREQUISITES) {
    const found = await findExecutable(program);
    if (found && !without.includes(program)) await Deno.symlink(found, join(bin, program));
  }
  return bin;
}

async function runSetup(path: string, purpose: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SCRIPT, purpose],
    env: { PATH: path, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test({
  name: "tasks/prerequisites.ts without flock on PATH exits 1 with the install command",
  ignore: (await missingFor("demo")).length > 0,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = await fakePath(dir, "no-flock", ["flock"]);
      const demo = await runSetup(path, "demo");
      assert.equal(demo.code, 1, demo.stderr);
      assert.match(demo.stderr, /setup: deno task demo is missing "flock" \(streamlink runs/);
      assert.match(demo.stderr, /setup: install it with: (sudo )?apt-get install -y util-linux\n/);
      const ready = await runSetup(await fakePath(dir, "all", []), "demo");
      assert.deepEqual(ready, { code: 0, stdout: "", stderr: "" });
      const unknown = await runSetup(path, "bench");
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /setup: unknown task "bench": expected "demo" or "test"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task test runs the whole suite unless an argument names a file or folder", async () => {
  const base = ["test", "--allow-all", "--quiet", "--parallel"];
  assert.deepEqual(await testArgs([], ROOT), [...base, ...TEST_ROOTS]);
  assert.deepEqual(await testArgs(["--filter", "README"], ROOT), [
    ...base,
    "--filter",
    "README",
    ...TEST_ROOTS,
  ]);
  assert.deepEqual(await testArgs(["tests/readme_test.ts"], ROOT), [
    ...base,
    "tests/readme_test.ts",
  ]);
});
