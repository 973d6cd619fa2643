/**
 * Entry point: `deno run src/main.ts <args>` behaves exactly like the compiled `twitchtool`.
 * The only place that configures logging sinks and calls `Deno.exit`.
 */
import { getLogger } from "@logtape/logtape";
import { configureLogging, underSystemd } from "./cli/logging.ts";
import type { CommanderError } from "@commander-js/extra-typings";
import { buildProgram, commanderExitCode, type ProgramRun } from "./cli/program.ts";
import { commanderUsageError } from "./cli/usage_error.ts";
import { describeSystemError, ExitCode, exitCodeOf, TwitchtoolError } from "./errors.ts";
import { isNoSpaceError } from "./util/disk_space.ts";
import { logLiteral } from "./util/log_literal.ts";
import { drainNotifications } from "./notify/notify.ts";

/** Runs the CLI and returns the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  await configureLogging({ json: args.includes("--json-logs"), toStdout: underSystemd(env) });
  const run: ProgramRun = { exitCode: 0 };
  const program = buildProgram(run);
  try {
    await program.parseAsync([...args], { from: "user" });
    await drainNotifications();
    return run.exitCode;
  } catch (thrown) {
    let error = thrown;
    const usageCode = commanderExitCode(error);
    if (usageCode === 0) return usageCode;
    if (usageCode !== undefined) {
      error = commanderUsageError(program, args, error as CommanderError);
    }
    // The reader of our output went away (`twitchtool doctor | head -3`): nothing left to
    // say to anyone, so end quietly as other Unix tools do; the reader chose to stop, which
    // is no failure of ours (exit 0 keeps `set -o pipefail` scripts happy).
    if (error instanceof Deno.errors.BrokenPipe) return ExitCode.Ok;
    const log = getLogger(["twitchtool"]);
    const systemError = describeSystemError(error);
    if (error instanceof TwitchtoolError) {
      for (const line of error.message.split("\n")) log.error(logLiteral(line));
    } else if (isNoSpaceError(error)) {
      log.error("Out of disk space: {error}", { error: (error as Error).message });
    } else if (systemError !== undefined) {
      log.error(systemError);
    } else {
      log.error("Unexpected error: {error}", { error });
    }
    await drainNotifications().catch(() => {});
    return exitCodeOf(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
