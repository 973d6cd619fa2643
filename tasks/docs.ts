/**
 * `deno task docs`: regenerates the parts of docs/ that code or data owns, so a page cannot drift
 * from what it describes:
 * - the key table of docs/configuration.md, written from the config schema
 *   (src/config/schema.ts: key, environment variable, default, meaning), between
 *   `<!-- config-table:start -->` and `<!-- config-table:end -->`;
 * - the tables of docs/performance.md, written from the committed benchmark numbers in
 *   docs/bench/results.json (tasks/bench/performance_tables.ts; `deno task bench --docs`
 *   updates the file).
 *
 * tests/readme_test.ts fails when either page is out of date.
 */
import {
  baseDirs,
  CONFIG_FIELDS,
  defaultValues,
  fieldName,
  type FieldSpec,
} from "../src/config/schema.ts";
import { markdownTable } from "./markdown_table.ts";
import { readDocsResults } from "./bench/docs_results.ts";
import { PERFORMANCE_DOC, withBenchTables } from "./bench/performance_tables.ts";

/** The page the config table lives in. */
export const CONFIG_DOC = new URL("../docs/configuration.md", import.meta.url);

const START = "<!-- config-table:start -->";
const END = "<!-- config-table:end -->";

/**
 * The defaults as docs state them: HOME is `~`, no `XDG_*` variable is set and `~/Videos` does
 * not exist. A key whose default depends on the machine says so in its `docsDefault`.
 */
function documentedDefaults(): Record<string, unknown> {
  const env = (name: string) => name === "HOME" ? "~" : undefined;
  return defaultValues(baseDirs(env), env, () => false);
}

function defaultCell(field: FieldSpec, defaults: Record<string, unknown>): string {
  if (field.docsDefault) return field.docsDefault;
  if (field.defaultDoc) return field.defaultDoc;
  const value = defaults[fieldName(field)];
  if (value === undefined) return "";
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

/** The key table: one row per schema field, in schema order. */
export function renderConfigTable(): string {
  const defaults = documentedDefaults();
  const rows = CONFIG_FIELDS.map((field) => [
    `\`${fieldName(field)}\``,
    field.env ? `\`${field.env}\`` : "",
    defaultCell(field, defaults),
    field.doc,
  ]);
  return markdownTable([["key", "env", "default", "meaning"], ...rows]);
}

/** `page` with the text between the config-table markers replaced by `table`. */
export function withConfigTable(page: string, table: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`docs/configuration.md lacks the ${START} ... ${END} markers`);
  }
  return `${page.slice(0, start + START.length)}\n\n${table}\n\n${page.slice(end)}`;
}

/** Writes `page`'s regenerated text to `url` when it changed, saying which. */
async function regenerate(url: URL, render: (page: string) => string, what: string) {
  const page = await Deno.readTextFile(url);
  const updated = render(page);
  const name = `docs/${url.pathname.split("/").pop()}`;
  if (updated === page) {
    console.log(`${name} is up to date`);
  } else {
    await Deno.writeTextFile(url, updated);
    console.log(`${name}: ${what} regenerated`);
  }
}

if (import.meta.main) {
  await regenerate(
    CONFIG_DOC,
    (page) => withConfigTable(page, renderConfigTable()),
    "config table",
  );
  const results = await readDocsResults();
  await regenerate(PERFORMANCE_DOC, (page) => withBenchTables(page, results), "bench tables");
}
