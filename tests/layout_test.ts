/**
 * The layout rules of the tests and the benchmark: shared helpers live in testing/, the bench
 * never imports from tests/, and no bench file reuses a src/ file name (one name, one thing).
 */
import assert from "node:assert/strict";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function tsFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await tsFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

Deno.test("tasks/ and testing/ never import from tests/", async () => {
  const files = [...await tsFiles(join(ROOT, "tasks")), ...await tsFiles(join(ROOT, "testing"))];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(
      text,
      /from "(\.\.\/)+tests\//,
      `${relative(ROOT, file)} imports from tests/: move the helper to testing/`,
    );
  }
});

Deno.test("no bench file reuses a src/ file name", async () => {
  const srcNames = new Set((await tsFiles(join(ROOT, "src"))).map((file) => basename(file)));
  for (const file of await tsFiles(join(ROOT, "tasks", "bench"))) {
    assert.ok(!srcNames.has(basename(file)), `${relative(ROOT, file)} reuses a src/ file name`);
  }
});
