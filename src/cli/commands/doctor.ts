import { inspectConfig } from "../../config/load_config.ts";
import { ExitCode } from "../../errors.ts";
import type { GlobalOptions } from "../context.ts";
import { printLine } from "../output.ts";
import {
  checkDaemons,
  checkDownloadCmd,
  checkFolder,
  checkFreeSpace,
  type CheckResult,
  checkRuntimeFolder,
  checkStaleState,
  checkSupportedCodecs,
  checkTool,
  checkUsersFile,
  foldersOf,
  MIN_STREAMLINK,
} from "../doctor_checks.ts";
import { checkNetwork } from "../doctor_network.ts";
import { checkNotifications } from "../notify_doctor_check.ts";
import { checkOutbox } from "../outbox_doctor_check.ts";
import { checkUploads } from "../upload_doctor_check.ts";

/** Options of `twitchtool doctor`. */
export interface DoctorOptions {
  /** `--offline`: skip the checks that reach Twitch. */
  offline?: boolean;
}

const LABEL = { ok: "ok  ", note: "note", warn: "warn", fail: "FAIL" } as const;

/**
 * `twitchtool doctor`: one line per check (ok / note / warn / FAIL) and a summary; exit 1 when
 * any check failed, 0 otherwise (notes and warnings included). Every config problem is reported, then the
 * other checks run with defaults in place of the unusable values; a check that throws is a
 * FAIL line, never the end of the report.
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
  const inspected = await inspectConfig({
    configPath: globals.config,
    overrides: globals.configOverrides ?? {},
  });
  const config = inspected.config;
  if (inspected.problems.length === 0) {
    report({
      level: "ok",
      name: "config",
      detail: config.source.exists
        ? `${config.source.path} parsed`
        : `no file at ${config.source.path}: using defaults`,
    });
  }
  for (const problem of inspected.problems) {
    report({ level: "fail", name: "config", detail: problem.message });
  }
  for (const warning of inspected.warnings) {
    report({ level: "warn", name: "config", detail: warning });
  }
  /** Runs one check; an exception it throws becomes its FAIL line. */
  const check = async (name: string, run: () => Promise<CheckResult | CheckResult[]>) => {
    try {
      const found = await run();
      for (const result of Array.isArray(found) ? found : [found]) report(result);
    } catch (error) {
      report({ level: "fail", name, detail: (error as Error).message });
    }
  };
  await check("streamlink", () => checkTool("streamlink", "--version", MIN_STREAMLINK));
  await check("streamlink codecs", () => checkSupportedCodecs(config.streamlink.supportedCodecs));
  await check("ffmpeg", () => checkTool("ffmpeg", "-version"));
  await check("ffprobe", () => checkTool("ffprobe", "-version"));
  await check("flock", () => checkTool("flock", "--version"));
  for (const [label, path] of foldersOf(config)) {
    await check(
      label,
      () => label === "runtime" ? checkRuntimeFolder(path) : checkFolder(label, path),
    );
  }
  await check("disk space", () => checkFreeSpace(config));
  await check("users file", () => checkUsersFile(config.poller.usersFile));
  await check("download_cmd", () => checkDownloadCmd(config));
  await check("stale state", () => checkStaleState(config));
  await check("daemons", () => checkDaemons(config));
  await check("notifications", () => checkNotifications(config));
  await check("outbox", () => checkOutbox(config));
  await check("uploads", () => checkUploads(config, options.offline ?? false));
  if (!options.offline) await check("network", () => checkNetwork(config));
  return summarize(results);
}

function summarize(results: readonly CheckResult[]): number {
  const count = (level: CheckResult["level"]) => results.filter((r) => r.level === level).length;
  const failures = count("fail");
  printLine(
    `${count("ok")} ok, ${count("note")} note(s), ${
      count("warn")
    } warning(s), ${failures} failure(s)`,
  );
  return failures > 0 ? ExitCode.Failure : ExitCode.Ok;
}
