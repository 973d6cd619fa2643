import { Argument, Command, CommanderError, Option } from "@commander-js/extra-typings";
import denoConfig from "../../deno.json" with { type: "json" };
import { dropPermissionsFor } from "../permissions.ts";
import { COMPLETION_SHELLS } from "./completions.ts";
import { annotateConfigOptions } from "./config_help.ts";
import { keyOption, keyOverrides, negatedKeyOption, type ParsedCommand } from "./key_option.ts";
import type { GlobalOptions } from "./context.ts";
import { colorsOn, terminalWidth, writeText } from "./output.ts";
import { unknownCommandError } from "./usage_error.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  unexpected failure; doctor found a failure; a job, input or session failed
  2  bad usage, bad config, invalid username, missing streamlink/ffmpeg/ffprobe
  3  channel already being recorded, or the daemon already runs
  4  no free recording slot with --fail-fast
  5  nothing captured
  6  captured parts could not be finalized (kept in temp/)
  7  not enough free space (disk_free_min)

Run "twitchtool help <command>" for a command's options.`;

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
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", EXIT_CODES_HELP)
    // commander's defaults read FORCE_COLOR/CLICOLOR_FORCE, which the binary may not read
    // (Deno would fail or prompt): decide colour and width from Deno itself. Subcommands
    // inherit this when they are declared below.
    .configureOutput({
      writeOut: (text) => writeText(Deno.stdout, text),
      writeErr: (text) => writeText(Deno.stderr, text),
      // Parse errors are logged by main.ts in the style of every other error (usage_error.ts).
      outputError: () => {},
      getOutHasColors: () => colorsOn(Deno.stdout),
      getErrHasColors: () => colorsOn(Deno.stderr),
      getOutHelpWidth: () => terminalWidth(Deno.stdout),
      getErrHelpWidth: () => terminalWidth(Deno.stderr),
    })
    .exitOverride();
  const lazy = lazyAction(run);
  addRecordingCommands(program, lazy);
  addPollerCommands(program, lazy);
  addSlotCommands(program, lazy);
  addSetupCommands(program, lazy);
  addEncoderCommands(program, lazy);
  addUploadCommands(program, lazy);
  addFileCommands(program, lazy);
  addHelpCommands(program, lazy);
  annotateConfigOptions(program);
  return program;
}

/** An action wrapper: see {@link lazyAction}. */
type LazyAction = <A extends unknown[]>(
  role: string,
  action: (...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

/**
 * The one action wrapper: drops the permissions of `role`, then runs `action` (which imports
 * its command module lazily, so `status` never loads the encoder) and keeps its exit code in
 * `run` (commander ignores return values).
 */
function lazyAction(run: ProgramRun): LazyAction {
  return (role, action) => async (...args) => {
    await dropPermissionsFor(role);
    run.exitCode = await action(...args);
  };
}

/**
 * The global options (`--config`, `--json-logs`) as seen from a subcommand, with the config
 * values its key options gave.
 */
function globals(command: { optsWithGlobals(): object } & ParsedCommand): GlobalOptions {
  return { ...command.optsWithGlobals() as GlobalOptions, configOverrides: keyOverrides(command) };
}

/** `record`, `recover` and `status`. */
function addRecordingCommands(program: Command, lazy: LazyAction): void {
  addRecordCommand(program, lazy);

  program
    .command("recover")
    .description(
      "Finish recordings whose recorder died (kill -9, OOM, power loss): merge, remux, move, enqueue",
    )
    .option("--dry-run", "only list what would be recovered")
    .addOption(keyOption("paths.record_dir"))
    .addOption(keyOption("paths.queue_dir"))
    .action(lazy("recover", async (options, command) => {
      const { recoverCommand } = await import("./commands/recover.ts");
      return recoverCommand(options, globals(command));
    }));

  program
    .command("status")
    .description("Show recordings, the poller, the encoder and the encode queue")
    .option("--json", "print one JSON object")
    .addOption(keyOption("paths.queue_dir"))
    .addOption(keyOption("limits.record_limit", "number of slots"))
    .option(
      "--serve <host:port>",
      "serve the status page and /metrics there until SIGINT/SIGTERM (see docs/web.md)",
    )
    .action((options, command) =>
      lazy(options.serve === undefined ? "status" : "status --serve", async () => {
        const { statusCommand } = await import("./commands/status.ts");
        return statusCommand(options, globals(command));
      })()
    );
}

/** `record`: its options mirror the `[record]` keys they override. */
function addRecordCommand(program: Command, lazy: LazyAction): void {
  program
    .command("record")
    .description("Record a channel until its stream has been offline for retry_window seconds")
    .argument("<user>", "Twitch channel name (3-25 letters, digits, underscores)")
    .addOption(keyOption("record.quality"))
    .addOption(keyOption("record.retry_delay"))
    .addOption(keyOption("record.retry_window"))
    .addOption(keyOption("record.loglevel"))
    .addOption(keyOption("paths.record_dir"))
    .addOption(keyOption("paths.queue_dir"))
    .addOption(keyOption("limits.record_limit"))
    .addOption(keyOption("record.enable_remux"))
    .addOption(negatedKeyOption("record.enable_remux", "deliver a merged .ts and queue nothing"))
    .addOption(keyOption("record.delete_ts_after_remux"))
    .addOption(
      negatedKeyOption("record.delete_ts_after_remux", "also keep a merged .ts beside the .mp4"),
    )
    .addOption(keyOption("record.delete_input_on_success"))
    .addOption(negatedKeyOption("record.delete_input_on_success", "encoder keeps the recording"))
    .addOption(keyOption("record.live_remux"))
    .addOption(
      negatedKeyOption("record.live_remux", "finalize the parts after the broadcast instead"),
    )
    .addOption(keyOption("chat.enabled"))
    .addOption(negatedKeyOption("chat.enabled", "do not capture chat"))
    .option("--fail-fast", "exit 4 at once when every slot is taken instead of waiting")
    .action(lazy("record", async (user, options, command) => {
      const { recordCommand } = await import("./commands/record.ts");
      return recordCommand(user, options, globals(command));
    }));
}

/** `poller run`, `poller stop` and `poller status`. */
function addPollerCommands(program: Command, lazy: LazyAction): void {
  const poller = program
    .command("poller")
    .description("Watch the users file and start a recorder when a channel goes live");
  poller
    .command("run")
    .description("Run the poller in the foreground until SIGINT/SIGTERM (one instance at a time)")
    .addOption(keyOption("poller.users_file"))
    .addOption(keyOption("poller.interval"))
    .addOption(keyOption("poller.quality"))
    .addOption(keyOption("poller.download_cmd"))
    .addOption(keyOption("poller.timeout"))
    .addOption(keyOption("poller.probe_concurrency"))
    .addOption(keyOption("limits.record_limit"))
    .addOption(keyOption("paths.logs_dir"))
    .addOption(keyOption("web.listen"))
    .action(lazy("poller run", async (_options, command) => {
      const { pollerRunCommand } = await import("./commands/poller.ts");
      return pollerRunCommand(globals(command));
    }));
  poller
    .command("stop")
    .description("Stop the running poller (SIGTERM); recorders it launched keep running")
    .option("--timeout <seconds>", "how long to wait for it to exit (default 10)")
    .option("--force", "SIGKILL it when it has not exited by then")
    .action(lazy("poller", async (options, command) => {
      const { pollerStopCommand } = await import("./commands/poller.ts");
      return pollerStopCommand(options, globals(command));
    }));
  poller
    .command("status")
    .description("Show whether the poller runs, its last and next poll and last findings")
    .option("--json", "print one JSON object")
    .action(lazy("status", async (options, command) => {
      const { pollerStatusCommand } = await import("./commands/poller.ts");
      return pollerStatusCommand(options, globals(command));
    }));
}

/** `stop <slot>` and `clean`. */
function addSlotCommands(program: Command, lazy: LazyAction): void {
  program
    .command("stop")
    .description(
      "Stop the recording in a slot, whoever hosts it (or nobody), and finalize it",
    )
    .argument("<slot>", 'slot number as shown by "twitchtool status"')
    .option("--timeout <seconds>", "how long to wait for the capture to stop (default 10)")
    .option("--force", "SIGKILL a recorder or hostless capture still running by then")
    .addOption(keyOption("limits.record_limit", "number of slots"))
    .action(lazy("stop", async (slot, options, command) => {
      const { stopCommand } = await import("./commands/stop.ts");
      return stopCommand(slot, options, globals(command));
    }));

  program
    .command("clean")
    .description("Remove stale slot owner and daemon pid files left by crashed processes")
    .addOption(keyOption("limits.record_limit", "number of slots"))
    .option("--retention", "instead, apply [retention] now: delete old recordings")
    .option("--dry-run", "with --retention: only list what would be deleted")
    .action((options, command) =>
      // --retention deletes files and notifies: it keeps what `clean` alone gives up.
      lazy(options.retention ? "clean --retention" : "clean", async () => {
        const { cleanCommand } = await import("./commands/clean.ts");
        return cleanCommand(options, globals(command));
      })()
    );

  const notify = program
    .command("notify")
    .description("Notifications (notify.urls)");
  notify
    .command("test")
    .description("Send one test message to every notify.urls target and report each result")
    .action(lazy("notify test", async (_options, command) => {
      const { notifyTestCommand } = await import("./commands/notify.ts");
      return notifyTestCommand(globals(command));
    }));
  notify
    .command("flush")
    .description("Deliver the notification outbox now (what the poller does when it runs)")
    .action(lazy("notify flush", async (_options, command) => {
      const { notifyFlushCommand } = await import("./commands/notify.ts");
      return notifyFlushCommand(globals(command));
    }));
}

/** `users list|add|remove` and `doctor`. */
function addSetupCommands(program: Command, lazy: LazyAction): void {
  const users = program
    .command("users")
    .description("List or edit the channels the poller watches (comments and order are kept)")
    .addOption(keyOption("poller.users_file", "the users file"));
  users
    .command("list")
    .description(
      "Print the watched channels, one per line, with what their [channel.<login>] tables set",
    )
    .option("--settings", "print each channel's effective settings and where each comes from")
    .action(lazy("users", async (options, command) => {
      const { usersListCommand } = await import("./commands/users.ts");
      return usersListCommand(globals(command), options);
    }));
  users
    .command("add")
    .description("Add channels (already listed ones are ignored, any case)")
    .argument("<names...>", "Twitch channel names")
    .action(lazy("users", async (names, _options, command) => {
      const { usersAddCommand } = await import("./commands/users.ts");
      return usersAddCommand(names, globals(command));
    }));
  users
    .command("remove")
    .description("Remove channels (any case)")
    .argument("<names...>", "Twitch channel names")
    .action(lazy("users", async (names, _options, command) => {
      const { usersRemoveCommand } = await import("./commands/users.ts");
      return usersRemoveCommand(names, globals(command));
    }));

  program
    .command("doctor")
    .description(
      "Check tools, folders, free space, config, stale state and that Twitch answers; exit 1 on a failure",
    )
    .addOption(keyOption("paths.queue_dir"))
    .addOption(keyOption("paths.logs_dir", "recorder logs"))
    .option("--offline", "skip checking that Twitch's API and playlist hosts answer")
    .action(lazy("doctor", async (options, command) => {
      const { doctorCommand } = await import("./commands/doctor.ts");
      return doctorCommand(options, globals(command));
    }));
}

/** `encode-daemon run`, `encode-daemon stop` and `encode-daemon status`. */
function addEncoderCommands(program: Command, lazy: LazyAction): void {
  const encodeDaemon = program
    .command("encode-daemon")
    .description("Encode queued recordings at low priority, paused while a recording captures");
  encodeDaemon
    .command("run")
    .description("Run the encoder in the foreground until SIGINT/SIGTERM (one instance at a time)")
    .addOption(keyOption("paths.queue_dir"))
    .addOption(keyOption("encode_daemon.preset"))
    .addOption(keyOption("encode_daemon.crf"))
    .addOption(keyOption("encode_daemon.threads"))
    .addOption(keyOption("encode_daemon.height"))
    .addOption(keyOption("encode_daemon.fps"))
    .addOption(keyOption("encode_daemon.video_codec"))
    .addOption(keyOption("encode_daemon.audio_bitrate"))
    .addOption(keyOption("encode_daemon.loglevel"))
    .addOption(keyOption("limits.record_limit", "slots checked for capturing recordings"))
    .option("--exit-when-empty", "exit once no job is left (exit 1 if a job failed)")
    .action(lazy("encode-daemon run", async (options, command) => {
      const { encodeDaemonRunCommand } = await import("./commands/encode_daemon.ts");
      return encodeDaemonRunCommand(options, globals(command));
    }));
  encodeDaemon
    .command("stop")
    .description("Stop the running encoder (SIGTERM); the job it was encoding stays queued")
    .option("--timeout <seconds>", "how long to wait for it to exit (default 10)")
    .option("--force", "SIGKILL it (and its ffmpeg) when it has not exited by then")
    .action(lazy("encode-daemon", async (options, command) => {
      const { encodeDaemonStopCommand } = await import("./commands/encode_daemon.ts");
      return encodeDaemonStopCommand(options, globals(command));
    }));
  encodeDaemon
    .command("status")
    .description("Show whether the encoder runs, its current job and progress, and the queue")
    .option("--json", "print one JSON object")
    .addOption(keyOption("paths.queue_dir"))
    .action(lazy("status", async (options, command) => {
      const { encodeDaemonStatusCommand } = await import("./commands/encode_daemon_status.ts");
      return encodeDaemonStatusCommand(options, globals(command));
    }));
}

/** `upload run` and `upload status` (docs/uploads.md). */
function addUploadCommands(program: Command, lazy: LazyAction): void {
  const upload = program
    .command("upload")
    .description("Upload recordings to an rclone remote, verified before any local file goes");
  upload
    .command("run")
    .description(
      "Upload every queued file, then exit (exit 1 when a permanent failure stops the queue)",
    )
    .addOption(keyOption("paths.queue_dir"))
    .action(lazy("upload run", async (_options, command) => {
      const { uploadRunCommand } = await import("./commands/upload.ts");
      return uploadRunCommand(globals(command));
    }));
  upload
    .command("status")
    .description("Show the upload worker's state, its current file and the files still to upload")
    .option("--json", "print one JSON object")
    .addOption(keyOption("paths.queue_dir"))
    .action(lazy("upload status", async (options, command) => {
      const { uploadStatusCommand } = await import("./commands/upload.ts");
      return uploadStatusCommand(options, globals(command));
    }));
}

/** `tscompress`, `encode-mode on|off|status` and `history`. */
function addFileCommands(program: Command, lazy: LazyAction): void {
  program
    .command("tscompress")
    .description("Remux .ts recordings to .mp4 and encode them to <name>_compressed.mp4")
    .argument("<inputs...>", "files, folders (searched for .ts) or quoted globs")
    .addOption(keyOption("encode_daemon.height", "output height"))
    .addOption(keyOption("encode_daemon.fps", '"auto", a number or a fraction'))
    .addOption(keyOption("encode_daemon.crf", "constant rate factor"))
    .addOption(keyOption("encode_daemon.preset"))
    .addOption(keyOption("encode_daemon.threads", "encoder threads"))
    .addOption(keyOption("encode_daemon.loglevel"))
    .option("--overwrite", "redo outputs that already exist")
    .option("--delete-ts-after-remux", "delete each .ts once its .mp4 is verified")
    .option("--delete-input-on-success", "delete the .mp4 once its compressed file is verified")
    .option("--output-dir <dir>", "write outputs here instead of beside each input")
    .action(lazy("tscompress", async (inputs, options, command) => {
      const { tscompressCommand } = await import("./commands/tscompress.ts");
      return tscompressCommand(inputs, options, globals(command));
    }));

  const encodeMode = program
    .command("encode-mode")
    .description(
      "Turn remuxing and encode jobs for new recordings on or off (record.enable_remux)",
    );
  for (const mode of ["on", "off", "status"] as const) {
    encodeMode
      .command(mode)
      .description(
        mode === "status"
          ? "Show whether new recordings are remuxed and queued for the encoder"
          : `Set record.enable_remux = ${mode === "on"} in the config file, keeping the rest`,
      )
      .action(lazy("encode-mode", async (_options, command) => {
        const { encodeModeCommand } = await import("./commands/encode_mode.ts");
        return encodeModeCommand(mode, globals(command));
      }));
  }

  program
    .command("history")
    .description(
      "List the newest finished recordings: start, duration, size, encoded, file",
    )
    .option("--json", "print one JSON object with full paths and values")
    .option("--limit <n>", "how many recordings to list (default 20)")
    .addOption(keyOption("paths.record_dir"))
    .action(lazy("history", async (options, command) => {
      const { historyCommand } = await import("./commands/history.ts");
      return historyCommand(options, globals(command));
    }));
}

/** `completions` and `help`. */
function addHelpCommands(program: Command, lazy: LazyAction): void {
  program
    .command("completions")
    .description("Print a shell completion script, e.g. source <(twitchtool completions bash)")
    .addArgument(new Argument("<shell>", "the shell").choices(COMPLETION_SHELLS))
    .action(lazy("completions", async (shell) => {
      const { completionScript } = await import("./completions.ts");
      writeText(Deno.stdout, completionScript(shell, program));
      return 0;
    }));

  program
    .command("help")
    .description('Show the help of a command, e.g. "twitchtool help poller run"')
    .argument("[command...]", "the command, with its subcommand if any")
    .action(lazy("help", (names) => {
      helpTarget(program, names).outputHelp();
      return Promise.resolve(0);
    }));
}

/** The command `names` lead to from `root`; a UsageError (exit 2) for an unknown one. */
function helpTarget(root: Command, names: readonly string[]): Command {
  let command = root;
  for (const name of names) {
    const next = command.commands.find((sub) =>
      sub.name() === name || sub.aliases().includes(name)
    );
    if (!next) throw unknownCommandError(command, names.slice(0, names.indexOf(name)), name);
    command = next as Command;
  }
  return command;
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
