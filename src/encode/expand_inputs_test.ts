import assert from "node:assert/strict";
import { join } from "node:path";
import { expandGlob, expandInputs } from "./expand_inputs.ts";

Deno.test("expandInputs() takes files, recurses folders for .ts, expands globs, reports misses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "expand-inputs-test-" });
  try {
    await Deno.mkdir(join(dir, "rec", "sub"), { recursive: true });
    for (
      const name of [
        "rec/b.ts",
        "rec/a.TS",
        "rec/notes.txt",
        "rec/.hidden.ts",
        "rec/sub/c.ts",
        "x.mp4",
        "y.mp4",
      ]
    ) {
      await Deno.writeTextFile(join(dir, name), "");
    }
    const { files, missing } = await expandInputs(
      ["x.mp4", "rec", "*.mp4", "rec/b.ts", "nope*.ts", "missing.ts"],
      dir,
    );
    assert.deepEqual(files, [
      join(dir, "x.mp4"),
      join(dir, "rec/a.TS"),
      join(dir, "rec/b.ts"),
      join(dir, "rec/sub/c.ts"),
      join(dir, "y.mp4"),
    ]);
    assert.deepEqual(missing, ["nope*.ts", "missing.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("expandGlob() supports *, ?, [..], {a,b} and ** and skips hidden names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "expand-glob-test-" });
  try {
    await Deno.mkdir(join(dir, "a", "b"), { recursive: true });
    for (const name of ["x1.ts", "x2.ts", "y.ts", ".x3.ts", "a/x4.ts", "a/b/x5.ts", "z(1).ts"]) {
      await Deno.writeTextFile(join(dir, name), "");
    }
    const rel = async (pattern: string) =>
      (await expandGlob(join(dir, pattern))).map((path) => path.slice(dir.length + 1));
    assert.deepEqual(await rel("x?.ts"), ["x1.ts", "x2.ts"]);
    assert.deepEqual(await rel("[!x]*.ts"), ["y.ts", "z(1).ts"]);
    assert.deepEqual(await rel("{y,z(1)}.ts"), ["y.ts", "z(1).ts"]);
    assert.deepEqual(await rel("**/x*.ts"), ["a/b/x5.ts", "a/x4.ts", "x1.ts", "x2.ts"]);
    assert.deepEqual(await rel(".x*.ts"), [".x3.ts"]);
    assert.deepEqual(await rel("nothing*"), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
