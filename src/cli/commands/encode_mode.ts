import { getLogger } from "@logtape/logtape";
import { readEnableRemux, writeEncodeMode } from "../../encode/encode_mode.ts";
import { ExitCode } from "../../errors.ts";
import { type GlobalOptions, loadCommandConfig, printLine } from "../context.ts";

/** `encode-mode on|off|status`: whether recordings are remuxed and queued for the encoder. */
export async function encodeModeCommand(
  action: "on" | "off" | "status",
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals, {}, { allowMissingFile: true });
  const path = config.source.path;
  const envValue = Deno.env.get("REMUX_ENABLED");
  if (action === "status") {
    const text = config.source.exists ? await Deno.readTextFile(path) : "";
    const inFile = readEnableRemux(text, path);
    const where = inFile === undefined ? `default, not set in "${path}"` : `set in "${path}"`;
    printLine(`Encode mode: ${config.record.enableRemux ? "on" : "off"} (${where})`);
    if (envValue) printLine(`REMUX_ENABLED=${envValue} overrides the config file`);
    return ExitCode.Ok;
  }
  const value = action === "on";
  const change = await writeEncodeMode(path, value);
  const how = change.created ? "created" : change.changed ? "updated" : "already set in";
  printLine(`Encode mode ${action}: record.enable_remux = ${value} (${how} "${change.path}")`);
  if (envValue) {
    getLogger(["twitchtool", "encode"]).warn(
      "REMUX_ENABLED={value} is set and overrides the config file",
      { value: envValue },
    );
  }
  return ExitCode.Ok;
}
