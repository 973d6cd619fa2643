import { getLogger } from "@logtape/logtape";
import { inspectConfig } from "../../config/load_config.ts";
import { writeEncodeMode } from "../../encode/encode_mode.ts";
import { findField } from "../../config/schema.ts";
import { ExitCode } from "../../errors.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";

/** `encode-mode on|off|status`: whether recordings are remuxed and queued for the encoder. */
export async function encodeModeCommand(
  action: "on" | "off" | "status",
  globals: GlobalOptions,
): Promise<number> {
  if (action === "status") return await encodeModeStatus(globals);
  const config = await loadCommandConfig(globals, { allowMissingFile: true });
  const envValue = Deno.env.get(ENV);
  const path = config.source.path;
  const value = action === "on";
  const change = await writeEncodeMode(path, value);
  const how = change.created ? "created" : change.changed ? "updated" : "already set in";
  printLine(`Encode mode ${action}: record.enable_remux = ${value} (${how} "${change.path}")`);
  if (envValue) {
    getLogger(["twitchtool", "encode"]).warn(
      `${ENV}={value} is set and overrides the config file`,
      { value: envValue },
    );
  }
  return ExitCode.Ok;
}

const KEY = "record.enable_remux";
/** The variable that overrides {@link KEY}, `REMUX_ENABLED` (from the schema). */
const ENV = findField(KEY)!.env!;

/**
 * `encode-mode status`: the value in effect and where it comes from (environment, file or
 * default), and every value for the key that is refused, e.g. `REMUX_ENABLED=maybe`, with
 * exit 2 then: `record` and the poller refuse to start until it is fixed.
 */
async function encodeModeStatus(globals: GlobalOptions): Promise<number> {
  const inspected = await inspectConfig({ configPath: globals.config, allowMissingFile: true });
  const { config } = inspected;
  const path = config.source.path;
  const where = {
    cli: "command line",
    env: `environment ${ENV}=${JSON.stringify(Deno.env.get(ENV) ?? "")}`,
    file: `set in "${path}"`,
    default: `default, not set in "${path}"`,
  }[config.origins?.[KEY]?.source ?? "default"];
  printLine(`Encode mode: ${config.record.enableRemux ? "on" : "off"} (${where})`);
  const refused = inspected.refused.filter((entry) => entry.key === KEY);
  for (const entry of refused) printLine(`Refused: ${entry.error.message}`);
  return refused.length > 0 ? ExitCode.Usage : ExitCode.Ok;
}
