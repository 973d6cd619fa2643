/**
 * `tscompress`: the encoder's work done by hand on existing recordings, one file after
 * another. A `.ts` is first remuxed to `<name>.mp4` (stream copy, fast), then encoded to
 * `<name>_compressed.mp4` with the daemon's settings; other media files go straight to the
 * encode. One input failing never stops the others; the caller reports them all at the end.
 */
import { getLogger } from "@logtape/logtape";
import { basename, dirname, extname, join } from "node:path";
import { encodeArgs, type LowPriorityTools, remuxArgs } from "../proc/ffmpeg_args.ts";
import { isSameFile, pathExists, removeIfExists } from "../state/atomic_write.ts";
import { freeBytes, freeSpaceShortfall, isNoSpaceError, NO_SPACE } from "../util/disk_space.ts";
import { copyProblems, measureContent } from "../proc/media_content.ts";
import type { EncodeSettings } from "./encode_settings.ts";
import type { PauseController } from "./pause_controller.ts";
import type { ProgressSnapshot } from "./progress_parser.ts";
import {
  type Prober,
  transcodeFile,
  type TranscodeOptions,
  type TranscodeRequest,
  type TranscodeResult,
} from "./transcode_file.ts";
import { logLiteral } from "../util/log_literal.ts";

const log = getLogger(["twitchtool", "encode"]);

/** The two steps of one input. */
export type TscompressStep = "remux" | "encode";

/**
 * How a step ended; `n/a` when the input does not need it (not a `.ts`, or remux failed);
 * `low-disk` when free space was below `disk_free_min` (not started) or the disk filled up.
 */
export type StepOutcome = "done" | "skipped" | "failed" | "interrupted" | "low-disk" | "n/a";

/** One line of the summary. */
export interface TscompressResult {
  readonly input: string;
  remux: StepOutcome;
  encode: StepOutcome;
  /** The `.mp4` (remuxed, or the input itself when it was not a `.ts`). */
  mp4?: string;
  compressed?: string;
  /** Why a step failed or was skipped. */
  note?: string;
}

/** What the caller is told while work goes on (it draws progress bars or logs). */
export type TscompressEvent =
  | { readonly kind: "start"; readonly input: string; readonly step: TscompressStep }
  | {
    readonly kind: "progress";
    readonly input: string;
    readonly step: TscompressStep;
    readonly progress: ProgressSnapshot;
  }
  | {
    readonly kind: "end";
    readonly input: string;
    readonly step: TscompressStep;
    readonly outcome: StepOutcome;
  };

/** Settings of a run. */
export interface TscompressOptions {
  readonly files: readonly string[];
  readonly settings: EncodeSettings;
  /** Outputs go here instead of beside each input. */
  readonly outputDir?: string;
  readonly overwrite: boolean;
  /** Remove the `.ts` once its `.mp4` is verified. */
  readonly deleteTsAfterRemux: boolean;
  /** Remove the encode's input (the `.mp4`) once the compressed file is verified. */
  readonly deleteInputOnSuccess: boolean;
  /** `disk_free_min`: no step starts with less free space where its output goes. */
  readonly diskFreeMinBytes: number;
}

/** Collaborators, injectable for tests. */
export interface TscompressDeps {
  readonly lowPriority: LowPriorityTools;
  readonly pause?: PauseController;
  readonly transcode?: (
    request: TranscodeRequest,
    options: TranscodeOptions,
  ) => Promise<TranscodeResult>;
  readonly probe?: Prober;
  readonly onEvent?: (event: TscompressEvent) => void;
  /** Free bytes on the filesystem holding a path ({@link freeBytes} unless a test injects one). */
  readonly freeBytes?: (path: string) => Promise<number>;
}

/** Output names for `input`: `<name>.mp4` and `<name>_compressed.mp4`. */
export function tscompressOutputs(
  input: string,
  outputDir?: string,
): { mp4: string; compressed: string } {
  const dir = outputDir ?? dirname(input);
  const name = basename(input, extname(input));
  return { mp4: join(dir, `${name}.mp4`), compressed: join(dir, `${name}_compressed.mp4`) };
}

/** Processes every file in order; returns one result per file. */
export async function runTscompress(
  options: TscompressOptions,
  deps: TscompressDeps,
  signal: AbortSignal,
): Promise<TscompressResult[]> {
  const results: TscompressResult[] = [];
  for (const input of options.files) {
    const result: TscompressResult = { input, remux: "n/a", encode: "n/a" };
    results.push(result);
    if (signal.aborted) {
      result.remux = result.encode = "interrupted";
      continue;
    }
    try {
      await processOne(input, result, options, deps, signal);
    } catch (error) {
      if (isNoSpaceError(error)) {
        result.note = `No space left on device: ${(error as Error).message}`;
        if (result.remux !== "done" && result.remux !== "skipped" && result.remux !== "n/a") {
          result.remux = "low-disk";
        }
        if (result.encode !== "done" && result.encode !== "skipped") result.encode = "low-disk";
        continue;
      }
      result.note = `Unexpected error: ${(error as Error).message}`;
      if (result.remux !== "done" && result.remux !== "skipped" && result.remux !== "n/a") {
        result.remux = "failed";
      }
      if (result.encode !== "done" && result.encode !== "skipped") result.encode = "failed";
      log.error("Cannot process {input}: {error}", { input, error: String(error) });
    }
  }
  return results;
}

async function processOne(
  input: string,
  result: TscompressResult,
  options: TscompressOptions,
  deps: TscompressDeps,
  signal: AbortSignal,
): Promise<void> {
  const probe = deps.probe ?? measureContent;
  const outputs = tscompressOutputs(input, options.outputDir);
  let encodeInput = input;
  if (extname(input).toLowerCase() === ".ts") {
    result.remux = await runStep("remux", input, outputs.mp4, result, options, deps, signal);
    if (
      result.remux === "failed" || result.remux === "interrupted" || result.remux === "low-disk"
    ) {
      result.encode = result.remux === "interrupted" ? "interrupted" : "n/a";
      return;
    }
    result.mp4 = outputs.mp4;
    encodeInput = outputs.mp4;
    if (options.deleteTsAfterRemux && (await isCompleteCopy(input, outputs.mp4, probe))) {
      await removeIfExists(input);
      log.info("Deleted {input} after remuxing it", { input });
    }
  } else if (basename(input, extname(input)).endsWith("_compressed")) {
    result.encode = "skipped";
    result.note = "Already a compressed output";
    return;
  } else {
    result.mp4 = input;
  }
  result.encode = await runStep(
    "encode",
    encodeInput,
    outputs.compressed,
    result,
    options,
    deps,
    signal,
  );
  if (result.encode === "done" || result.encode === "skipped") {
    result.compressed = outputs.compressed;
  }
  if (
    result.compressed && options.deleteInputOnSuccess &&
    (await isCompleteCopy(encodeInput, outputs.compressed, probe))
  ) {
    await removeIfExists(encodeInput);
    log.info("Deleted {input} after encoding it", { input: encodeInput });
  }
}

/**
 * Whether `copy` is another file than `source` (not an alias through a symlink or `..`) and
 * readable media as long as `source`: the condition for deleting `source`.
 */
async function isCompleteCopy(source: string, copy: string, probe: Prober): Promise<boolean> {
  if (await isSameFile(source, copy)) return false;
  const [original, result] = await Promise.all([probe(source), probe(copy)]);
  return original !== undefined && result !== undefined &&
    copyProblems(original, result).length === 0;
}

/** Runs one step unless its output exists already (and is readable) and `overwrite` is off. */
async function runStep(
  step: TscompressStep,
  input: string,
  output: string,
  result: TscompressResult,
  options: TscompressOptions,
  deps: TscompressDeps,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const probe = deps.probe ?? measureContent;
  deps.onEvent?.({ kind: "start", input, step });
  const end = (outcome: StepOutcome, note?: string) => {
    if (note) result.note = note;
    deps.onEvent?.({ kind: "end", input, step, outcome });
    return outcome;
  };
  if (!options.overwrite && (await pathExists(output))) {
    if (await probe(output)) return end("skipped", `"${basename(output)}" exists`);
    return end("failed", `"${output}" exists but is not readable media: use --overwrite`);
  }
  const free = await (deps.freeBytes ?? freeBytes)(dirname(output));
  if (free < options.diskFreeMinBytes) {
    const reason = `Only ${
      freeSpaceShortfall(free, options.diskFreeMinBytes, `for "${output}"`)
    }: not started`;
    log.warn(`Cannot ${step} {input}: ${logLiteral(reason)}`, { step, input, reason });
    return end("low-disk", reason);
  }
  const outcome = await transcodeStep(step, input, output, options, deps, signal);
  switch (outcome.status) {
    case "done":
      return end("done");
    case "aborted":
      return end("interrupted", "Interrupted");
    case "failed":
      // The reason is a sentence with its own quoting: inline, not as a quoted property.
      log.error(`Cannot ${step} {input}: ${logLiteral(outcome.reason)}`, {
        step,
        input,
        reason: outcome.reason,
      });
      if (NO_SPACE.test(outcome.reason)) {
        return end("low-disk", `No space left on device writing "${output}"`);
      }
      return end("failed", outcome.reason);
  }
}

/** The step's ffmpeg run (remux or encode) through `deps.transcode`, reporting progress. */
function transcodeStep(
  step: TscompressStep,
  input: string,
  output: string,
  options: TscompressOptions,
  deps: TscompressDeps,
  signal: AbortSignal,
): Promise<TranscodeResult> {
  const transcode = deps.transcode ?? transcodeFile;
  return transcode(
    {
      input,
      output,
      args: (temporary) =>
        step === "remux"
          ? remuxArgs(input, temporary, options.settings.loglevel)
          : encodeArgs({ ...options.settings, input, output: temporary }),
    },
    {
      lowPriority: deps.lowPriority,
      signal,
      ...(deps.pause ? { pause: deps.pause } : {}),
      ...(deps.probe ? { probe: deps.probe } : {}),
      onProgress: (progress) => deps.onEvent?.({ kind: "progress", input, step, progress }),
    },
  );
}
