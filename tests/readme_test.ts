/**
 * The docs stay true: docs/configuration.md is the configuration reference (every key and
 * variable in it, its table as the schema generates it), docs/performance.md's tables are the
 * ones docs/bench/results.json generates, and the README stays a front door.
 */
import assert from "node:assert/strict";
import { CONFIG_FIELDS, fieldName } from "../src/config/schema.ts";
import { renderConfigTable, withConfigTable } from "../tasks/docs.ts";
import {
  type DocsResults,
  type DocsRun,
  mergeRun,
  readDocsResults,
} from "../tasks/bench/docs_results.ts";
import { PERFORMANCE_DOC, withBenchTables } from "../tasks/bench/performance_tables.ts";
import { PREREQUISITES } from "../tasks/prerequisites.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const configDoc = await Deno.readTextFile(
  new URL("../docs/configuration.md", import.meta.url),
);

Deno.test("docs/configuration.md documents every config key and its environment variable", () => {
  for (const field of CONFIG_FIELDS) {
    const key = fieldName(field);
    assert.ok(configDoc.includes(`\`${key}\``), `docs/configuration.md lacks ${key}`);
    if (field.env) {
      assert.ok(configDoc.includes(`\`${field.env}\``), `docs/configuration.md lacks ${field.env}`);
    }
  }
});

Deno.test("docs/configuration.md's key table is the one `deno task docs` generates from the schema", () => {
  assert.equal(
    configDoc,
    withConfigTable(configDoc, renderConfigTable()),
    "docs/configuration.md is out of date: run `deno task docs`",
  );
});

Deno.test("docs/performance.md's tables are the ones `deno task docs` generates from docs/bench/results.json", async () => {
  const page = await Deno.readTextFile(PERFORMANCE_DOC);
  const results = await readDocsResults();
  assert.equal(
    page,
    withBenchTables(page, results),
    "docs/performance.md is out of date: run `deno task docs`",
  );
  const tabled = [...page.matchAll(/<!-- bench-table: ([\w,-]+) -->/g)].flatMap(([, names]) =>
    names!.split(",")
  );
  const measured = results.runs.flatMap((run) => run.workloads.map((workload) => workload.name));
  assert.deepEqual(tabled.toSorted(), measured.toSorted(), "each workload in exactly one table");
});

Deno.test("a bench table shows the file's numbers: a changed value changes the page", async () => {
  const page = await Deno.readTextFile(PERFORMANCE_DOC);
  const results = await readDocsResults();
  const [first, ...rest] = results.runs;
  const [workload, ...others] = first!.workloads;
  const changed: DocsResults = {
    schema_version: 1,
    runs: [{
      ...first!,
      workloads: [{
        ...workload!,
        measurements: [{ metric: "a new measurement", value: 1234.5, unit: "ms", note: "a | b" }],
      }, ...others],
    }, ...rest],
  };
  const regenerated = withBenchTables(page, changed);
  assert.notEqual(regenerated, page);
  assert.match(regenerated, /\| a new measurement +\| 1,234\.5 ms \| a \\\| b +\|/);
  assert.throws(
    () => withBenchTables(page, { schema_version: 1, runs: rest }),
    new RegExp(`no "${workload!.name}" workload`),
  );
});

Deno.test("mergeRun() replaces the workloads a new run measured and drops runs left empty", () => {
  const result = (name: string, value: number, status: "ok" | "failed" = "ok") => ({
    name,
    title: name,
    status,
    seconds: 1,
    measurements: [{ metric: "time", value, unit: "s" as const }],
    notes: [],
  });
  const run = (source: string, ...workloads: DocsRun["workloads"]): DocsRun => ({
    source,
    mode: "full",
    started_at: null,
    machine: { description: source },
    workloads,
  });
  const docs: DocsResults = {
    schema_version: 1,
    runs: [run("old", result("a", 1), result("b", 2)), run("older", result("c", 3))],
  };
  const merged = mergeRun(docs, run("new", result("c", 30), result("a", 10, "failed")));
  assert.deepEqual(merged.runs.map((r) => [r.source, r.workloads.map((w) => w.name)]), [
    ["old", ["a", "b"]],
    ["new", ["c"]],
  ]);
  assert.equal(merged.runs[1]!.workloads[0]!.measurements[0]!.value, 30);
});

Deno.test("README quick start is exactly three lines", () => {
  const section = readme.split("## Quick start")[1]!.split("\n\n")[1]!;
  assert.equal(section.trim().split("\n").length, 3, section);
});

Deno.test("README stays a front door: at most 10 KB, every docs/ page it links exists", async () => {
  assert.ok(new TextEncoder().encode(readme).length <= 10 * 1024, "README.md is over 10 KB");
  for (const [, page] of readme.matchAll(/\]\((docs\/[a-z_-]+\.md)/g)) {
    await Deno.stat(new URL(`../${page}`, import.meta.url));
  }
});

Deno.test("README's quick start names every program the demo and test tasks set up", () => {
  const quickStart = readme.split("## Quick start")[1]!.split("\n## ")[0]!;
  for (const { program } of PREREQUISITES) {
    if (program === "ffprobe") continue; // comes with ffmpeg
    assert.match(
      quickStart,
      new RegExp(`\\b${program}\\b`),
      `README's quick start lacks ${program}`,
    );
  }
});
