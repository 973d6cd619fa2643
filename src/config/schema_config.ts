/**
 * Where each schema key lands in the `Config` object, at run time ({@link configProperty}) and
 * at compile time ({@link SchemaConfig}, the keys' part of `Config`): `[encode_daemon]
 * video_codec` is `config.encodeDaemon.videoCodec`, its type follows from its kind, choices and
 * default. The rule is mechanical so no key has to be named by hand to be assembled or typed.
 */
import type { FieldSpec, SchemaFields } from "./schema.ts";

/** `snake_case` to `camelCase`: `record_dir` is `recordDir`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** `snake_case` to `camelCase`, as {@link CamelCase} does for types. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** A `size` key without its `_gb`/`_bytes` spelling: `disk_free_min_gb` is `disk_free_min`. */
export function sizeStem(key: string): string {
  return key.replace(/_(gb|bytes)$/, "");
}

/**
 * The `Config` section and property that hold `field`: camelCase names, and a `size` key's two
 * spellings share `<stem>Bytes`.
 */
export function configProperty(field: FieldSpec): { section: string; property: string } {
  const section = camelCase(field.section);
  if (field.size) return { section, property: `${camelCase(sizeStem(field.key))}Bytes` };
  return { section, property: camelCase(field.key) };
}

type Field = SchemaFields[number];

type SizeStem<K extends string> = K extends `${infer Stem}_bytes` ? Stem
  : K extends `${infer Stem}_gb` ? Stem
  : K;

type PropertyOf<F extends Field> = F extends { size: string }
  ? `${CamelCase<SizeStem<F["key"]>>}Bytes`
  : CamelCase<F["key"]>;

type KindValue<F extends Field> = F extends { kind: "bool" } ? boolean
  : F extends { kind: "int" | "number" } ? number
  : F extends { kind: "string_list" } ? readonly string[]
  : F extends { choices: readonly (infer Choice)[] } ? Choice
  : string;

/** A key without a default may be unset; a `_bytes` spelling adds nothing to its `_gb` twin's type. */
type ValueOf<F extends Field> = F extends { size: "bytes" } ? never
  : F extends { default: unknown } ? KindValue<F>
  : KindValue<F> | undefined;

type Section<S extends string> = {
  readonly [F in Extract<Field, { section: S }> as PropertyOf<F>]: ValueOf<F>;
};

/** The sections of `Config` as the schema yields them (no `source`, `stateDir`, ...). */
export type SchemaConfig = {
  readonly [S in Field["section"] as CamelCase<S>]: Section<S>;
};
