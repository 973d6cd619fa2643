/**
 * The layout rules: shared helpers live in testing/, the bench never imports from tests/, no
 * bench file reuses a src/ file name (one name, one thing), src/state/ (the files) depends on no
 * feature folder, each folder of src/ says what it owns, and no file of src/ takes part in an
 * import circle (docs/architecture.md).
 */
import assert from "node:assert/strict";
import { basename, dirname, join, relative, resolve } from "node:path";
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
      'import { b } from "../config/schema.ts";\nconst m = await import("../web/x.ts");\n',
  );
  assert.deepEqual(
    imports.map(({ specifier, typeOnly }) => [specifier, stateMayImport(specifier, typeOnly)]),
    [
      ["../chat/chat_counts.ts", false],
      ["../config/config.ts", true],
      ["../config/schema.ts", false],
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

/**
 * Import circles that exist today and are to go, each the sorted files of one strongly connected
 * component. The test fails on a circle that is not listed and on a listed one that no longer
 * exists (or changed), so this list only shrinks.
 */
/**
 * Import circles allowed for now: none. A circle that must stay for a while is listed here with
 * a comment saying what ends it (the test also fails once a listed circle is gone).
 */
const KNOWN_CIRCLES: readonly (readonly string[])[] = [];

/** The import graph of `files`: each file (relative to ROOT) and the files of it that it imports. */
async function importGraph(files: readonly string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOf(await Deno.readTextFile(file))
      .filter(({ specifier }) => specifier.startsWith(".") && specifier.endsWith(".ts"))
      .map(({ specifier }) => relative(ROOT, resolve(dirname(file), specifier)));
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

/**
 * The import circles of `graph`: its strongly connected components of more than one file (or a
 * file importing itself), each sorted, found with Tarjan's algorithm.
 */
function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    lowest.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) visit(target);
      if (onStack.has(target)) lowest.set(file, Math.min(lowest.get(file)!, lowest.get(target)!));
    }
    if (lowest.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)!.includes(file)) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One way round `circle` from its first file, for the message: `a -> b -> a`. */
function circlePath(graph: ReadonlyMap<string, readonly string[]>, circle: readonly string[]) {
  const start = circle[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const target of graph.get(file) ?? []) {
      if (target === start) {
        const back: string[] = [];
        for (let at: string | undefined = file; at && at !== start; at = cameFrom.get(at)) {
          back.push(at);
        }
        return [start, ...back.reverse(), start].join(" -> ");
      }
      if (circle.includes(target) && !cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return circle.join(", ");
}

Deno.test("no import circle in src/ (import type included) beyond the listed ones", async () => {
  const graph = await importGraph(await tsFiles(join(ROOT, "src")));
  const circles = importCircles(graph);
  const key = (circle: readonly string[]) => circle.join(" ");
  const known = new Set(KNOWN_CIRCLES.map(key));
  const found = new Set(circles.map(key));
  const unlisted = circles.filter((circle) => !known.has(key(circle)));
  const gone = KNOWN_CIRCLES.filter((circle) => !found.has(key(circle)));
  assert.deepEqual(
    unlisted.map((circle) => circlePath(graph, circle)),
    [],
    "an import circle: move what both sides need into a third file",
  );
  assert.deepEqual(gone, [], "a listed circle is gone or changed: update KNOWN_CIRCLES");
});

Deno.test("the circle finder sees a circle through import type and a dynamic import", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = (name: string, text: string) => Deno.writeTextFile(join(dir, name), text);
    await write("a.ts", 'import type { B } from "./b.ts";\nexport type A = B;\n');
    await write("b.ts", 'export type B = 1;\nexport const c = () => import("./c.ts");\n');
    await write("c.ts", 'export { type A } from "./a.ts";\n');
    await write("d.ts", 'import "./a.ts";\nimport { e } from "./e.ts";\n');
    await write("e.ts", "export const e = 1;\n");
    const graph = await importGraph(await tsFiles(dir));
    const name = (file: string) => relative(ROOT, join(dir, file));
    assert.deepEqual(importCircles(graph), [[name("a.ts"), name("b.ts"), name("c.ts")]]);
    assert.equal(
      circlePath(graph, importCircles(graph)[0]!),
      [name("a.ts"), name("b.ts"), name("c.ts"), name("a.ts")].join(" -> "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
