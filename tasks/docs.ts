/**
 * `deno task docs`: regenerates the parts of docs/ that code owns, so a page cannot drift from
 * the code it describes. Today that is the key table of docs/configuration.md, written from the
 * config schema (src/config/schema.ts: key, environment variable, default, meaning), between
 * `<!-- config-table:start -->` and `<!-- config-table:end -->`. tests/readme_test.ts fails when the page is out of date.
 *
 * The performance tables of docs/performance.md are not generated: they combine several bench
 * runs with notes on load, and `bench-output/results.json` is not committed.
 */
import { baseDirs, defaultValues } from "../src/config/defaults.ts";
import { CONFIG_FIELDS, fieldName, type FieldSpec } from "../src/config/schema.ts";

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

/** Pads a Markdown table the way `deno fmt` does, so the generated page passes `fmt --check`. */
function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) =>
    Math.max(3, ...rows.map((row) => [...row[column]!].length))
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  const rule = `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
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

if (import.meta.main) {
  const page = await Deno.readTextFile(CONFIG_DOC);
  const updated = withConfigTable(page, renderConfigTable());
  if (updated === page) {
    console.log("docs/configuration.md is up to date");
  } else {
    await Deno.writeTextFile(CONFIG_DOC, updated);
    console.log("docs/configuration.md: config table regenerated");
  }
}
