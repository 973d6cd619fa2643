import { getLogger } from "@logtape/logtape";
import { basename } from "node:path";
import { compressFiles } from "../../encode/compress_files.ts";
import { ProgressLog } from "../../encode/progress_log.ts";
import type { TscompressEvent, TscompressResult } from "../../encode/tscompress.ts";
import { ExitCode } from "../../errors.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine, writeText } from "../output.ts";
import { renderTable } from "../render_table.ts";

/** Options of `twitchtool tscompress`. */
export interface TscompressOptions {
  overwrite?: boolean;
  deleteTsAfterRemux?: boolean;
  deleteInputOnSuccess?: boolean;
  outputDir?: string;
}

/** `tscompress <inputs...>`: remux and encode files by hand; exit 1 if any input failed. */
export async function tscompressCommand(
  inputs: string[],
  options: TscompressOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const render = Deno.stderr.isTerminal() ? progressBar() : progressLog();
  return await withShutdownSignals(async (signal) => {
    const { results, missing } = await compressFiles(
      config,
      {
        inputs,
        cwd: Deno.cwd(),
        overwrite: options.overwrite ?? false,
        deleteTsAfterRemux: options.deleteTsAfterRemux ?? false,
        deleteInputOnSuccess: options.deleteInputOnSuccess ?? false,
        ...(options.outputDir ? { outputDir: options.outputDir } : {}),
      },
      render,
      signal,
    );
    printSummary(results, missing);
    const lowDisk = results.some((result) => [result.remux, result.encode].includes("low-disk"));
    const failed = missing.length > 0 || results.some((result) => isFailure(result));
    return lowDisk ? ExitCode.LowDisk : failed ? ExitCode.Failure : ExitCode.Ok;
  });
}

function isFailure(result: TscompressResult): boolean {
  return [result.remux, result.encode].some((step) =>
    step === "failed" || step === "interrupted" || step === "low-disk"
  );
}

function printSummary(results: readonly TscompressResult[], missing: readonly string[]): void {
  const rows = results.map((result) => {
    const detail = isFailure(result) ? result.note ?? "" : result.compressed ?? result.note ?? "";
    return [result.input, result.remux, result.encode, detail];
  });
  for (const arg of missing) rows.push([arg, "failed", "n/a", "No such file, folder or match"]);
  printLine(renderTable(["input", "remux", "encode", "output / note"], rows));
  const failures = results.filter(isFailure).length + missing.length;
  printLine(
    `${results.length + missing.length} input(s): ${
      results.length + missing.length - failures
    } ok, ${failures} failed`,
  );
}

/** One redrawn line per step on a terminal. */
function progressBar(): (event: TscompressEvent) => void {
  const write = (text: string) => writeText(Deno.stderr, text);
  return (event) => {
    const label = `${event.step.padEnd(6)} ${basename(event.input)}`;
    if (event.kind === "start") write(`\r\x1b[2K${label} ...`);
    if (event.kind === "progress") {
      const { percent, speed, etaSeconds } = event.progress;
      const fraction = (percent ?? 0) / 100;
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const pct = percent === null ? "  ?  " : `${percent.toFixed(1).padStart(5)}%`;
      const rate = speed === null ? "" : ` ${speed.toFixed(2)}x`;
      const eta = etaSeconds === null ? "" : ` ETA ${Math.round(etaSeconds)} s`;
      write(`\r\x1b[2K${label} [${bar}] ${pct}${rate}${eta}`);
    }
    if (event.kind === "end") write(`\r\x1b[2K${label}: ${event.outcome}\n`);
  };
}

/** Plain log lines (start, every 10 % or minute, end) when stderr is not a terminal. */
function progressLog(): (event: TscompressEvent) => void {
  const log = getLogger(["twitchtool", "encode"]);
  let throttle = new ProgressLog(Date.now);
  return (event) => {
    const properties = { step: event.step, input: event.input };
    if (event.kind === "start") {
      throttle = new ProgressLog(Date.now);
      log.info("Starting {step} of {input}", properties);
    } else if (event.kind === "progress") {
      const line = throttle.next(event.progress);
      if (line) log.info(`{step} {input}: ${line}`, { ...properties, ...event.progress });
    } else {
      log.info("Finished {step} of {input}: {outcome}", { ...properties, outcome: event.outcome });
    }
  };
}
