/**
 * `twitchtool record` loads only what recording uses (issue 25: a recorder run by hand should
 * cost little more memory than the tool it replaced). What a process loads is the entry point's
 * static imports plus the command module `program.ts` imports when that command runs; this
 * test walks Deno's own module graph (`deno info --json`) that way and checks that nothing of
 * the other commands (the status page, the uploader, the encoder, the poll loop, tables) is in
 * it. Sizes and times belong to the bench (`deno task bench --only recorder`).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const MAIN = new URL("src/main.ts", ROOT).href;
const PROGRAM = new URL("src/cli/program.ts", ROOT).href;

/** One module of `deno info --json` and the modules it imports. */
interface GraphModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly specifier: string;
    readonly isDynamic?: boolean;
    readonly code?: { readonly specifier?: string };
  }[];
}

/** The module graph of `src/main.ts` as Deno resolves it, dynamic imports included. */
async function moduleGraph(): Promise<Map<string, GraphModule>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "src/main.ts"],
    cwd: fileURLToPath(ROOT),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: GraphModule[];
  };
  return new Map(graph.modules.map((module) => [module.specifier, module]));
}

/**
 * What running `command` loads: static imports from `src/main.ts` on, the one dynamic import
 * of `program.ts` that leads to `commands/<command>.ts`, and every import from there on
 * (dynamic ones too unless `dynamic` is false: what loads only when a setting asks for it). Specifiers relative to the repository; npm packages as `npm:<name>`.
 */
function loadedBy(
  graph: Map<string, GraphModule>,
  command: string,
  options: { dynamic: boolean } = { dynamic: true },
): Set<string> {
  const seen = new Set<string>();
  const queue = [MAIN];
  while (queue.length > 0) {
    const specifier = queue.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of graph.get(specifier)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (!target) continue;
      const chosen = dependency.specifier === `./commands/${command}.ts`;
      if (dependency.isDynamic && specifier === PROGRAM && !chosen) continue;
      if (dependency.isDynamic && specifier !== PROGRAM && !options.dynamic) continue;
      queue.push(target);
    }
  }
  return new Set([...seen].map(shortName));
}

/** `src/cli/output.ts` for a file of the repository, `npm:cli-table3` for a package. */
function shortName(specifier: string): string {
  if (specifier.startsWith(ROOT.href)) return specifier.slice(ROOT.href.length);
  const npm = specifier.match(/^npm:\/?(@?[^@]+)@/);
  return npm ? `npm:${npm[1]}` : specifier;
}

/** What `record` must not load, each with the one file of its room record does use. */
const NOT_FOR_RECORD: readonly { prefix: string; allowed?: string; why: string }[] = [
  { prefix: "src/web/", why: "the status page is the poller's and `status --serve`'s" },
  {
    prefix: "src/upload/",
    allowed: "src/upload/upload_settings.ts",
    why: "the upload worker and rclone are `upload run`'s",
  },
  { prefix: "src/encode/", why: "the encoder is `encode-daemon`'s and `tscompress`'s" },
  {
    prefix: "src/poll/",
    allowed: "src/poll/download_cmd.ts",
    why: "the poll loop is `poller run`'s",
  },
  {
    prefix: "src/cli/commands/",
    allowed: "src/cli/commands/finished_output.ts",
    why: "each command's file loads when that command runs",
  },
  { prefix: "npm:cli-table3", why: "tables are for `status`, `history` and the daemons' status" },
];

Deno.test("record loads none of the other commands' rooms, the status page, the uploader or tables", async () => {
  const loaded = loadedBy(await moduleGraph(), "record");
  assert.ok(loaded.has("src/record/capture_session.ts"), "the walk reaches the recorder");
  for (const rule of NOT_FOR_RECORD) {
    const found = [...loaded].filter((name) =>
      name.startsWith(rule.prefix) && name !== rule.allowed &&
      name !== "src/cli/commands/record.ts"
    );
    assert.deepEqual(found, [], `record loads ${found.join(", ")}: ${rule.why}`);
  }
});

Deno.test("the daemons' run commands load no tables: those are for their status", async () => {
  const graph = await moduleGraph();
  for (const command of ["poller", "encode_daemon"]) {
    const loaded = loadedBy(graph, command);
    assert.ok(!loaded.has("npm:cli-table3"), `${command} loads cli-table3`);
  }
});

Deno.test("a poller without web.listen loads none of the status page", async () => {
  const graph = await moduleGraph();
  const always = loadedBy(graph, "poller", { dynamic: false });
  // The address is checked at start, so a bad one fails before the poller takes its lock.
  const web = [...always].filter((name) =>
    name.startsWith("src/web/") && name !== "src/web/listen_address.ts"
  );
  assert.deepEqual(web, [], "src/web/ loads only when web.listen asks for the page");
  assert.ok(loadedBy(graph, "poller").has("src/web/status_server.ts"), "the walk sees it then");
});

Deno.test("the module walk sees what status loads beyond record", async () => {
  const graph = await moduleGraph();
  const status = loadedBy(graph, "status");
  assert.ok(status.has("npm:cli-table3"), "status prints tables");
  assert.ok(status.has("src/cli/commands/status.ts"));
  assert.ok(!status.has("src/cli/commands/record.ts"), "another command's file is not walked");
});
