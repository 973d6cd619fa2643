import assert from "node:assert/strict";
import type { Config } from "./config.ts";
import type { SchemaConfig } from "./schema_config.ts";

/** True only when A and B are the same type (readonly and optional modifiers included). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

/** Values of `Config` that are not keys: derived from keys, or about the load itself. */
type NotKeys = { paths: "stateDir" | "tempDir"; poller: "intervalSet" };

type ConfigKeys = {
  readonly [S in keyof SchemaConfig]: Omit<Config[S], S extends keyof NotKeys ? NotKeys[S] : never>;
};

Deno.test("Config is exactly the type the schema yields, plus the values that are not keys", () => {
  const sections: Equals<ConfigKeys, SchemaConfig> = true;
  const extra: Equals<
    Exclude<keyof Config, keyof SchemaConfig>,
    "source" | "origins" | "channels"
  > = true;
  assert.deepEqual([sections, extra], [true, true]);
});
