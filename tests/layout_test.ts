/**
 * The layout rules: shared helpers live in testing/, the bench never imports from tests/, no
 * bench file reuses a src/ file name (one name, one thing), and src/state/ (the files) depends
 * on no feature folder.
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

/** Every module `file` imports or re-exports: its specifier, and whether only types come. */
function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (
    const match of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/g)
  ) {
    found.push({ specifier: match[3]!, typeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) {
    found.push({ specifier: (match[1] ?? match[2])!, typeOnly: false });
  }
  return found;
}

/**
 * What src/state/ may import: itself, util/, errors.ts, the config's types, the pure
 * streamlink argv rules (proc/streamlink_args.ts spawns nothing), npm: and node: modules. A
 * feature (chat, notify, web, record, poll, encode, cli) passes what state/ needs in instead.
 */
function stateMayImport(specifier: string, typeOnly: boolean): boolean {
  if (!specifier.startsWith(".")) return true;
  if (specifier.startsWith("./")) return !specifier.includes("/../");
  if (specifier === "../errors.ts" || specifier === "../proc/streamlink_args.ts") return true;
  if (specifier.startsWith("../util/")) return true;
  return typeOnly && specifier.startsWith("../config/");
}

Deno.test("src/state/ imports only itself, util/, errors.ts and config types", async () => {
  const files = (await tsFiles(join(ROOT, "src", "state"))).filter((f) => !f.endsWith("_test.ts"));
  assert.ok(files.length > 20, "src/state/ has its files");
  const offending: string[] = [];
  for (const file of files) {
    for (const { specifier, typeOnly } of importsOf(await Deno.readTextFile(file))) {
      if (!stateMayImport(specifier, typeOnly)) {
        offending.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(offending, [], "state/ owns files only: pass a feature's reader in instead");
});

Deno.test("the src/state/ import rule sees what it forbids", () => {
  const imports = importsOf(
    'import { a } from "../chat/chat_counts.ts";\nimport type {\n  C,\n} from "../config/config.ts";\n' +
      'import { b } from "../config/defaults.ts";\nconst m = await import("../web/x.ts");\n',
  );
  assert.deepEqual(
    imports.map(({ specifier, typeOnly }) => [specifier, stateMayImport(specifier, typeOnly)]),
    [
      ["../chat/chat_counts.ts", false],
      ["../config/config.ts", true],
      ["../config/defaults.ts", false],
      ["../web/x.ts", false],
    ],
  );
});

/** Every folder under `dir`, itself included. */
async function folders(dir: string): Promise<string[]> {
  const found = [dir];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found.push(...await folders(join(dir, entry.name)));
  }
  return found;
}

Deno.test("every folder of src/ opens with a mod.ts saying what it owns and must not import", async () => {
  const missing: string[] = [];
  for (const folder of (await folders(join(ROOT, "src"))).slice(1)) {
    const mod = join(folder, "mod.ts");
    const text = await Deno.readTextFile(mod).catch(() => "");
    if (!/^\/\*\*[\s\S]*Must not import:[\s\S]*@module\s*\*\/\s*$/.test(text)) {
      missing.push(relative(ROOT, mod));
    }
  }
  assert.deepEqual(
    missing,
    [],
    "a folder's mod.ts holds only an @module doc with 'Must not import:'",
  );
});
