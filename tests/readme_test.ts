/** docs/configuration.md is the configuration reference: every key and variable must be in it. */
import assert from "node:assert/strict";
import { CONFIG_FIELDS, fieldName } from "../src/config/schema.ts";
import { renderConfigTable, withConfigTable } from "../tasks/docs.ts";

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
