import assert from "node:assert/strict";
import { assembleConfig, type Layer } from "./assemble_config.ts";
import { GIB } from "./config.ts";
import {
  baseDirs,
  CONFIG_FIELDS,
  type DefaultContext,
  defaultOf,
  defaultValues,
  fieldName,
} from "./schema.ts";
import { configProperty } from "./schema_config.ts";

const env = (name: string) => ({ HOME: "/home/u", XDG_RUNTIME_DIR: "/run/user/1" })[name];
const machine: DefaultContext = { dirs: baseDirs(env), env, isDirectory: () => false };
const facts = {
  source: { path: "/home/u/.config/twitchtool/config.toml", exists: false },
  origins: {},
};

/** `config.<section>.<property>` of the field named `name`. */
function valueAt(config: object, name: string): unknown {
  const field = CONFIG_FIELDS.find((candidate) => fieldName(candidate) === name)!;
  const { section, property } = configProperty(field);
  const values = (config as Record<string, Record<string, unknown>>)[section]!;
  assert.ok(property in values, `Config has no ${section}.${property} for "${name}"`);
  return values[property];
}

Deno.test("assembleConfig() takes every default from the schema entry and nowhere else", () => {
  const defaults = defaultValues(machine.dirs, env, machine.isDirectory);
  const config = assembleConfig([], defaults, facts, machine.dirs);
  for (const field of CONFIG_FIELDS) {
    const name = fieldName(field);
    if (field.size === "bytes") {
      assert.equal(field.default, undefined, `"${name}": a size's default goes on its _gb key`);
      continue;
    }
    const own = defaultOf(field, machine);
    const expected = field.size === "gb" && typeof own === "number" ? Math.round(own * GIB) : own;
    assert.deepEqual(valueAt(config, name), expected, `default of "${name}"`);
  }
  assert.deepEqual(
    Object.keys(defaults),
    CONFIG_FIELDS.filter((field) => field.default !== undefined).map(fieldName),
  );
});

Deno.test("assembleConfig() places each key where configProperty() says, and only keys there", () => {
  const defaults = defaultValues(machine.dirs, env, machine.isDirectory);
  for (const [index, field] of CONFIG_FIELDS.entries()) {
    const value = field.size ? 1000 + index : `/set/${fieldName(field)}`;
    const layer: Layer = new Map([[fieldName(field), value]]);
    const config = assembleConfig([layer], defaults, facts, machine.dirs);
    const expected = field.size === "gb" ? Math.round((value as number) * GIB) : value;
    assert.equal(valueAt(config, fieldName(field)), expected);
  }
  const config = assembleConfig([], defaults, facts, machine.dirs);
  const placed = new Set(CONFIG_FIELDS.map((field) => {
    const { section, property } = configProperty(field);
    return `${section}.${property}`;
  }));
  const notKeys = ["paths.stateDir", "paths.tempDir", "poller.intervalSet"];
  const found = Object.entries(config)
    .filter(([section]) => section !== "source" && section !== "origins")
    .flatMap(([section, values]) => Object.keys(values).map((key) => `${section}.${key}`))
    .filter((name) => !notKeys.includes(name));
  assert.deepEqual(new Set(found), placed);
});
