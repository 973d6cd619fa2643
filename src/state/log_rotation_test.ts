import assert from "node:assert/strict";
import { join } from "node:path";
import { appendLogText, logRotation, rotateLogIfLarge } from "./log_rotation.ts";

/** Every line of `path` and its rotated copies, oldest first. */
async function allLines(path: string): Promise<string[]> {
  const lines: string[] = [];
  for (let index = 1000; index >= 0; index--) {
    const file = index === 0 ? path : `${path}.${index}`;
    const text = await Deno.readTextFile(file).catch(() => "");
    lines.push(...text.split("\n").filter(Boolean));
  }
  return lines;
}

Deno.test("a log rotated while another process appends to it through its own descriptor loses no line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "alice.log");
    // Like a detached streamlink: one O_APPEND descriptor held from start to exit.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "child $i"; done >> "$1"',
        "sh",
        path,
      ],
    }).spawn();
    // Like this process's own log lines, during the child's run.
    const rotation = { maxBytes: 2048, keep: 1000 };
    let rotations = 0;
    for (let line = 1; line <= 2000; line++) {
      appendLogText(path, `parent ${line}\n`);
      if (rotateLogIfLarge(path, rotation)) rotations++;
      if (line % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.equal((await child.status).code, 0);
    const lines = await allLines(path);
    const expected = [
      ...Array.from({ length: 3000 }, (_, i) => `child ${i + 1}`),
      ...Array.from({ length: 2000 }, (_, i) => `parent ${i + 1}`),
    ].sort();
    assert.deepEqual([...lines].sort(), expected, "every line exactly once");
    assert.ok(rotations >= 5, `${rotations} rotations`);
    // Each writer's lines stay in order across the files.
    for (const who of ["child", "parent"]) {
      const numbers = lines.filter((l) => l.startsWith(who)).map((l) => Number(l.split(" ")[1]));
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `${who} lines in order`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rotateLogIfLarge() keeps 3 old logs, newest first, and leaves a small log alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "bob.log");
    const rotation = { ...logRotation(1), maxBytes: 10 };
    assert.equal(rotateLogIfLarge(path, rotation), false, "missing log");
    for (let run = 1; run <= 5; run++) appendLogText(path, `run ${run} of the log\n`, rotation);
    assert.equal(await Deno.stat(path).then(() => true, () => false), false, "rotated away");
    assert.equal(await Deno.readTextFile(`${path}.1`), "run 5 of the log\n");
    assert.equal(await Deno.readTextFile(`${path}.3`), "run 3 of the log\n");
    assert.equal(await Deno.stat(`${path}.4`).then(() => true, () => false), false);
    appendLogText(path, "short\n", { maxBytes: 1000, keep: 3 });
    assert.equal(await Deno.readTextFile(path), "short\n");
    assert.equal(logRotation(0).maxBytes, 0);
    assert.equal(rotateLogIfLarge(path, { maxBytes: 0, keep: 3 }), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
