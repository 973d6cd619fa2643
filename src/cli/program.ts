import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import denoConfig from "../../deno.json" with { type: "json" };
import { dropPermissionsFor } from "../permissions.ts";
import type { GlobalOptions } from "./context.ts";

/** Exit code chosen by the action that ran (commander ignores return values). */
export interface ProgramRun {
  exitCode: number;
}

/**
 * The whole command tree, declared once. Actions are imported lazily so `status` never loads
 * the encoder, and each drops the permissions its command does not need before running.
 */
export function buildProgram(run: ProgramRun): Command {
  const program = new Command("twitchtool")
    .description(
      "Record Twitch live streams with streamlink, finalize them to .mp4 and encode them with ffmpeg",
    )
    .version(denoConfig.version, "-V, --version")
    .option("--config <path>", "config file (default: $XDG_CONFIG_HOME/twitchtool/config.toml)")
    .option("--json-logs", "log JSON Lines instead of human-readable lines")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  /** Wraps an action: drop permissions, run it lazily, keep its exit code. */
  const dispatch = (name: string, action: () => Promise<number>) => async () => {
    await dropPermissionsFor(name);
    run.exitCode = await action();
  };
  const globals = (command: { optsWithGlobals(): object }) =>
    command.optsWithGlobals() as GlobalOptions;

  program
    .command("record")
    .description("Record a channel until its stream has been offline for retry_window seconds")
    .argument("<user>", "Twitch channel name (3-25 letters, digits, underscores)")
    .option("--quality <quality>", "streamlink quality, e.g. best, 720p60 [record.quality]")
    .option(
      "--retry-delay <seconds>",
      "longest wait between attempts while offline [record.retry_delay]",
    )
    .option(
      "--retry-window <seconds>",
      "give up this long after the last captured part [record.retry_window]",
    )
    .option("--loglevel <level>", "streamlink log level [record.loglevel]")
    .option("--output-dir <dir>", "where finished recordings go [paths.record_dir]")
    .option("--queue-dir <dir>", "encode job queue [paths.queue_dir]")
    .option("--record-limit <n>", "concurrent recordings allowed [limits.record_limit]")
    .option("--remux", "remux to .mp4 and queue an encode job [record.enable_remux]")
    .option("--no-remux", "deliver a merged .ts and queue nothing")
    .option("--delete-ts-after-remux", "keep only the .mp4 [record.delete_ts_after_remux]")
    .option("--no-delete-ts-after-remux", "also keep a merged .ts beside the .mp4")
    .option(
      "--delete-input-on-success",
      "encoder deletes the recording after encoding [record.delete_input_on_success]",
    )
    .option("--no-delete-input-on-success", "encoder keeps the recording")
    .option("--fail-fast", "exit 4 at once when every slot is taken instead of waiting")
    .action(async (user, options, command) =>
      await dispatch("record", async () => {
        const { recordCommand } = await import("./commands/record.ts");
        return recordCommand(user, options, globals(command));
      })()
    );

  program
    .command("status")
    .description("Show active recordings")
    .option("--json", "print one JSON object")
    .option("--queue-dir <dir>", "encode job queue [paths.queue_dir]")
    .option("--record-limit <n>", "number of slots [limits.record_limit]")
    .action(async (options, command) =>
      await dispatch("status", async () => {
        const { statusCommand } = await import("./commands/status.ts");
        return statusCommand(options, globals(command));
      })()
    );

  return program;
}

/** Exit code for a commander parse error: 0 for help/version, 2 for bad usage. */
export function commanderExitCode(error: unknown): number | undefined {
  if (!(error instanceof CommanderError)) return undefined;
  if (["commander.helpDisplayed", "commander.help", "commander.version"].includes(error.code)) {
    return 0;
  }
  return error.exitCode === 0 ? 0 : 2;
}

export { Option };
