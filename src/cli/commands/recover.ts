import { recoverSessions } from "../../record/recover.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { printFinished } from "./finished_output.ts";

/** Options of `twitchtool recover`. */
export interface RecoverCommandOptions {
  dryRun?: boolean;
}

/**
 * `twitchtool recover`: finishes capture sessions whose recorder died (kill -9, OOM, power
 * loss). Exit 1 when a session could not be finished (its parts stay in temp/).
 */
export async function recoverCommand(
  options: RecoverCommandOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const reports = await recoverSessions(config, { dryRun: options.dryRun ?? false });
  if (reports.length === 0) printLine("Nothing to recover");
  for (const report of reports) {
    for (const part of report.quarantined ?? []) {
      printLine(`Moved unreadable part ${part.part} to ${part.movedTo}: ${part.reason}`);
    }
    switch (report.action) {
      case "recovered":
        printFinished("Recovered", report.result!);
        break;
      case "sidecars":
        printLine(`Wrote the chat and info of ${report.base}: ${report.sidecars?.join(", ")}`);
        break;
      case "would-recover":
        printLine(`Would recover ${report.base} (${report.parts} part(s), ${report.detail})`);
        break;
      case "recorder-alive":
        printLine(`Skipped ${report.base}: its recorder is still running`);
        break;
      case "quarantined":
        printLine(`Nothing to recover in ${report.base}: ${report.detail}`);
        break;
      case "capture-alive":
        printLine(`Skipped ${report.base}: its streamlink is still writing a part`);
        break;
      case "busy":
        printLine(`Skipped ${report.base}: ${report.detail}`);
        break;
      case "failed":
        printLine(`Failed ${report.base}: ${report.detail}`);
        break;
    }
  }
  return reports.some((report) => report.action === "failed") ? 1 : 0;
}
