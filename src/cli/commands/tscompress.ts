import { getLogger } from "@logtape/logtape";
import { basename } from "node:path";
import { compressFiles } from "../../encode/compress_files.ts";
import type { TscompressEvent, TscompressResult } from "../../encode/tscompress.ts";
import { ExitCode } from "../../errors.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import {
  type GlobalOptions,
  loadCommandConfig,
  newTable,
  override,
  printLine,
} from "../context.ts";

/** Options of `twitchtool tscompress`. */
export interface TscompressOptions {
  height?: string;
  fps?: string;
  crf?: string;
  preset?: string;
  threads?: string;
  loglevel?: string;
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
  const config = await loadCommandConfig(globals, {
    "encode_daemon.height": override(options.height, "--height"),
    "encode_daemon.fps": override(options.fps, "--fps"),
    "encode_daemon.crf": override(options.crf, "--crf"),
    "encode_daemon.preset": override(options.preset, "--preset"),
    "encode_daemon.threads": override(options.threads, "--threads"),
    "encode_daemon.loglevel": override(options.loglevel, "--loglevel"),
  });
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
  const table = newTable(["input", "remux", "encode", "output / note"]);
  for (const result of results) {
    const detail = isFailure(result) ? result.note ?? "" : result.compressed ?? result.note ?? "";
    table.push([result.input, result.remux, result.encode, detail]);
  }
  for (const arg of missing) table.push([arg, "failed", "n/a", "No such file, folder or match"]);
  printLine(table.toString());
  const failures = results.filter(isFailure).length + missing.length;
  printLine(
    `${results.length + missing.length} input(s): ${
      results.length + missing.length - failures
    } ok, ${failures} failed`,
  );
}

/** One redrawn line per step on a terminal. */
function progressBar(): (event: TscompressEvent) => void {
  const encoder = new TextEncoder();
  const write = (text: string) => {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  };
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

/** Plain log lines (start, every quarter, end) when stderr is not a terminal. */
function progressLog(): (event: TscompressEvent) => void {
  const log = getLogger(["twitchtool", "encode"]);
  let quarter = 0;
  return (event) => {
    const properties = { step: event.step, input: event.input };
    if (event.kind === "start") {
      quarter = 0;
      log.info("Starting {step} of {input}", properties);
    } else if (event.kind === "progress") {
      const percent = event.progress.percent ?? 0;
      if (percent >= (quarter + 1) * 25 && percent < 100) {
        quarter = Math.floor(percent / 25);
        log.info("{step} {input}: {percent}%", { ...properties, percent: Math.floor(percent) });
      }
    } else {
      log.info("Finished {step} of {input}: {outcome}", { ...properties, outcome: event.outcome });
    }
  };
}
