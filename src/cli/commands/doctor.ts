import type { Config } from "../../config/config.ts";
import { loadConfig } from "../../config/load_config.ts";
import { ExitCode } from "../../errors.ts";
import { type GlobalOptions, homeDir, override, printLine } from "../context.ts";
import {
  checkDaemons,
  checkDownloadCmd,
  checkFolder,
  checkFreeSpace,
  type CheckResult,
  checkStaleState,
  checkTool,
  checkUsersFile,
  foldersOf,
  MIN_STREAMLINK,
} from "../doctor_checks.ts";

/** Options of `twitchtool doctor`. */
export interface DoctorOptions {
  queueDir?: string;
  logsDir?: string;
}

const LABEL = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;

/**
 * `twitchtool doctor`: one line per check (ok / warn / FAIL) and a summary; exit 1 when any
 * check failed, 0 otherwise (warnings included).
 */
export async function doctorCommand(
  options: DoctorOptions,
  globals: GlobalOptions,
): Promise<number> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    printLine(`${LABEL[result.level]}  ${result.name}: ${result.detail}`);
  };
  let config: Config;
  try {
    const loaded = await loadConfig({
      configPath: globals.config,
      overrides: {
        "paths.queue_dir": override(options.queueDir, "--queue-dir"),
        "paths.logs_dir": override(options.logsDir, "--logs-dir"),
      },
    });
    config = loaded.config;
    report({
      level: "ok",
      name: "config",
      detail: config.source.exists
        ? `${config.source.path} parsed`
        : `no file at ${config.source.path}: using defaults`,
    });
    for (const warning of loaded.warnings) {
      report({ level: "warn", name: "config", detail: warning });
    }
  } catch (error) {
    report({ level: "fail", name: "config", detail: (error as Error).message });
    return summarize(results);
  }
  const home = homeDir();
  report(await checkTool("streamlink", "--version", MIN_STREAMLINK));
  report(await checkTool("ffmpeg", "-version"));
  report(await checkTool("ffprobe", "-version"));
  report(await checkTool("flock", "--version"));
  for (const [label, path] of foldersOf(config, home)) report(await checkFolder(label, path));
  report(await checkFreeSpace(config));
  for (const result of await checkUsersFile(config.poller.usersFile)) report(result);
  report(await checkDownloadCmd(config));
  for (const result of await checkStaleState(config, home)) report(result);
  for (const result of await checkDaemons(config)) report(result);
  return summarize(results);
}

function summarize(results: readonly CheckResult[]): number {
  const count = (level: CheckResult["level"]) => results.filter((r) => r.level === level).length;
  const failures = count("fail");
  printLine(`${count("ok")} ok, ${count("warn")} warning(s), ${failures} failure(s)`);
  return failures > 0 ? ExitCode.Failure : ExitCode.Ok;
}
