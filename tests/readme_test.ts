/** The README is the configuration reference: every key and variable must be in it. */
import assert from "node:assert/strict";
import { CONFIG_FIELDS, fieldName } from "../src/config/schema.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("README documents every config key and its environment variable", () => {
  for (const field of CONFIG_FIELDS) {
    assert.ok(readme.includes(`\`${fieldName(field)}\``), `README lacks ${fieldName(field)}`);
    if (field.env) assert.ok(readme.includes(`\`${field.env}\``), `README lacks ${field.env}`);
  }
});

Deno.test("README quick start is exactly three lines", () => {
  const section = readme.split("## Quick start")[1]!.split("\n\n")[1]!;
  assert.equal(section.trim().split("\n").length, 3, section);
});
