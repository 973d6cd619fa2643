/**
 * The typed `Config` from the layers a load read (CLI, environment, file) and the schema's
 * defaults. Every key is placed by the schema (`configProperty`), so adding a key to
 * schema.ts is enough for it to reach `Config`; only the values that are not keys (the state
 * and session folders, whether the poll interval was set) are named here.
 */
import { type Config, GIB } from "./config.ts";
import { type BaseDirs, CONFIG_FIELDS, fieldName, type FieldSpec, tempDirFor } from "./schema.ts";
import { configProperty, type SchemaConfig, sizeStem } from "./schema_config.ts";
import type { ValueOrigin } from "./value_origin.ts";

/** The values one source set, keyed `section.key`, already checked against the schema. */
export type Layer = Map<string, unknown>;

/** What a load knows besides the keys: the file in effect and where set values came from. */
export interface LoadFacts {
  readonly source: Config["source"];
  readonly origins: Record<string, ValueOrigin>;
}

/**
 * The config: each key from the first of `layers` (highest precedence first) that sets it,
 * else its default from `defaults` (`defaultValues()`).
 */
export function assembleConfig(
  layers: readonly Layer[],
  defaults: Readonly<Record<string, unknown>>,
  { source, origins }: LoadFacts,
  dirs: BaseDirs,
): Config {
  const keys = schemaSections(layers, defaults);
  return {
    source,
    origins,
    ...keys,
    paths: {
      ...keys.paths,
      stateDir: dirs.stateDir,
      tempDir: tempDirFor(keys.paths.recordDir, dirs.home),
    },
    poller: {
      ...keys.poller,
      intervalSet: layers.some((layer) => layer.has("poller.interval")),
    },
  };
}

/** Every schema key's value, placed where `configProperty` says. */
function schemaSections(
  layers: readonly Layer[],
  defaults: Readonly<Record<string, unknown>>,
): SchemaConfig {
  const sections: Record<string, Record<string, unknown>> = {};
  for (const field of CONFIG_FIELDS) {
    const { section, property } = configProperty(field);
    const values = sections[section] ??= {};
    values[property] = field.size
      ? sizeValue(layers, defaults, field)
      : layeredValue(layers, defaults, fieldName(field));
  }
  // The shape follows from configProperty, which places keys as SchemaConfig types them.
  return sections as unknown as SchemaConfig;
}

function layeredValue(
  layers: readonly Layer[],
  defaults: Readonly<Record<string, unknown>>,
  name: string,
): unknown {
  for (const layer of layers) if (layer.has(name)) return layer.get(name);
  return defaults[name];
}

/** A `size` key in bytes: as {@link bytesSetting}, else the `_gb` spelling's default. */
function sizeValue(
  layers: readonly Layer[],
  defaults: Readonly<Record<string, unknown>>,
  field: FieldSpec,
): number | undefined {
  const stem = `${field.section}.${sizeStem(field.key)}`;
  const gib = defaults[`${stem}_gb`];
  return bytesSetting(layers, stem) ??
    (typeof gib === "number" ? Math.round(gib * GIB) : undefined);
}

/**
 * A size given as `<name>_bytes` or `<name>_gb`, in bytes, from the first layer that sets
 * either (`_bytes` wins within a layer); undefined when no layer does.
 */
function bytesSetting(layers: readonly Layer[], name: string): number | undefined {
  for (const layer of layers) {
    const bytes = layer.get(`${name}_bytes`);
    if (typeof bytes === "number") return bytes;
    const gib = layer.get(`${name}_gb`);
    if (typeof gib === "number") return Math.round(gib * GIB);
  }
  return undefined;
}
