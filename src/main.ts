/**
 * Entry point: `deno run src/main.ts <args>` behaves exactly like the compiled `twitchtool`.
 * The only place that configures logging sinks and calls `Deno.exit`.
 */
import { getLogger } from "@logtape/logtape";
import { configureLogging, underSystemd } from "./cli/logging.ts";
import { buildProgram, commanderExitCode, type ProgramRun } from "./cli/program.ts";
import { exitCodeOf, TwitchtoolError } from "./errors.ts";
import { isNoSpaceError } from "./util/disk_space.ts";

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
    return run.exitCode;
  } catch (error) {
    const usageCode = commanderExitCode(error);
    if (usageCode !== undefined) return usageCode;
    const log = getLogger(["twitchtool"]);
    if (error instanceof TwitchtoolError) {
      log.error(error.message);
    } else if (isNoSpaceError(error)) {
      log.error("Out of disk space: {error}", { error: (error as Error).message });
    } else {
      log.error("Unexpected error: {error}", { error });
    }
    return exitCodeOf(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
