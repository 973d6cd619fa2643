import { basename, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import type { LowPriorityTools } from "../proc/ffmpeg_args.ts";
import { failpoint } from "../proc/failpoint.ts";
import { deliverSidecars, stageChapters, type StagedChapters } from "../chat/deliver_sidecars.ts";
import { pathExists, removeIfExists } from "../state/atomic_write.ts";
import { writeCoverageRecord } from "../state/coverage_record.ts";
import { enqueueJob, listQueue } from "../state/job_queue.ts";
import {
  type LiveRemuxJournal,
  type RecordingCoverage,
  removeManifest,
  type SessionManifest,
  writeManifest,
} from "../state/session_manifest.ts";
import { backfillFromVod, type VodFetcher } from "./backfill_vod.ts";
import {
  commitDelivery,
  type FinalizeSettings,
  removeParts,
  removeStaleOutputs,
  stageDeliverables,
  type StagedFinalize,
} from "./finalize.ts";
import { isPlannedFallback, stageLiveDelivery } from "./live_delivery.ts";
import { continueLiveFile, liveRoomPath } from "./live_remux.ts";
import { roundMillis } from "../util/round_millis.ts";
import { queueUploads, type UploadSettings, uploadSettings } from "../upload/upload_settings.ts";

const log = getLogger(["twitchtool", "finalize"]);

/** Folders a session is finished into. */
export interface SessionDirs {
  readonly tempDir: string;
  readonly recordDir: string;
  readonly queueDir: string;
  /** Runs the finalize ffmpeg under nice/ionice, so it never takes CPU a capture needs. */
  readonly lowPriority?: LowPriorityTools;
  /** Where the recording's coverage is kept for `history` once the manifest is gone. */
  readonly stateDir?: string;
  /** `[twitch] backfill = true`: fill what the parts missed from the VOD before staging. */
  readonly backfill?: BackfillSettings;
  /** `[upload] remote` set: the delivered files are queued for upload (src/upload/). */
  readonly upload?: UploadSettings;
}

/** What back-fill needs from the config. */
export interface BackfillSettings {
  readonly vodUrlTemplate: string;
  readonly quality: string;
  readonly fetch?: VodFetcher;
}

/**
 * `{ backfill }` for {@link SessionDirs} when `[twitch] backfill` is on, else nothing: one place
 * turns the config into back-fill settings for a capture session and `recover`.
 */
export function backfillSettings(config: Config): { backfill?: BackfillSettings } {
  if (!config.twitch.backfill) return {};
  return {
    backfill: { vodUrlTemplate: config.twitch.vodUrlTemplate, quality: config.record.quality },
  };
}

/** `{ upload }` for {@link SessionDirs} when `[upload] remote` is set, else nothing. */
export function sessionUploadSettings(config: Config): { upload?: UploadSettings } {
  const upload = uploadSettings(config);
  return upload ? { upload } : {};
}

/** What finishing a session produced. */
export interface FinishedSession {
  readonly user: string;
  readonly base: string;
  /** Final paths in the record dir; the first is the deliverable. */
  readonly delivered: readonly string[];
  readonly duration: number;
  readonly parts: number;
  /** Why the deliverable is not the verified file asked for. */
  readonly fallbackReason?: string;
  /** The encode job (new or already queued), when remux is enabled. */
  readonly job?: string;
  /** What the deliverable holds of the broadcast (absent for a session staged by an old version). */
  readonly coverage?: RecordingCoverage;
}

/**
 * Finishes a session from whatever phase its manifest records: stage and verify the outputs,
 * move them, delete the parts, enqueue exactly one job, drop the manifest. Every step is
 * journaled first and safe to repeat, so the recorder and `recover` (after kill -9 at any
 * moment) run the same code and end in the same state.
 */
export async function finishSession(
  start: SessionManifest,
  dirs: SessionDirs,
  options: { now?: () => Date } = {},
): Promise<FinishedSession> {
  const now = options.now ?? (() => new Date());
  const settings: FinalizeSettings = {
    recordDir: dirs.recordDir,
    tempDir: dirs.tempDir,
    base: start.base,
    enableRemux: start.enable_remux,
    deleteTsAfterRemux: start.delete_ts_after_remux,
    ...(dirs.lowPriority ? { lowPriority: dirs.lowPriority } : {}),
  };
  let manifest = start;

  if (manifest.phase === "capturing" && dirs.backfill && !manifest.backfill) {
    manifest = await backfilled(manifest, dirs.tempDir, dirs.backfill);
    await writeManifest(dirs.tempDir, manifest);
  }

  if (manifest.phase === "capturing") {
    await removeStaleOutputs(settings);
    const chapters = await stageChapters(manifest, dirs.tempDir).catch((error) => {
      log.error("No chapters for {base}: {error}", { base: manifest.base, error: error.message });
      return undefined;
    });
    const live = await stageLive(manifest, settings, chapters);
    // Gone on with from its checkpoint: the parts are freed up to the newer one it journaled.
    if (live.live) manifest = { ...manifest, live: live.live };
    if (live.reason) manifest = { ...manifest, live: { ...manifest.live!, reason: live.reason } };
    const checkpoint = manifest.live?.checkpoint;
    const staged = live.staged ?? await stageDeliverables(
      manifest.parts,
      chapters ? { ...settings, metadataFile: chapters.file } : settings,
      checkpoint ? { file: manifest.live!.file, checkpoint } : undefined,
    );
    const filled = manifest.backfill?.seconds ?? 0;
    await failpoint("staged");
    manifest = {
      ...manifest,
      phase: "moving",
      parts: staged.readableParts,
      deliveries: staged.deliveries,
      duration: staged.duration,
      coverage: {
        ...staged.coverage,
        captured_seconds: Math.max(0, roundMillis(staged.coverage.captured_seconds - filled)),
        backfilled_seconds: filled,
        ...(manifest.live ? { delivered_by: live.staged ? "live" : "parts" } : {}),
      },
      ...(staged.fallbackReason ? { fallback_reason: staged.fallbackReason } : {}),
    };
    await writeManifest(dirs.tempDir, manifest);
  }

  if (manifest.phase === "moving") {
    await failpoint("moving");
    const delivered: string[] = [];
    for (const delivery of manifest.deliveries ?? []) {
      delivered.push(await commitDelivery(delivery));
      await failpoint("moved");
    }
    manifest = { ...manifest, phase: "delivered", delivered };
    await writeManifest(dirs.tempDir, manifest);
    await failpoint("delivered");
  }

  const delivered = manifest.delivered ?? [];
  if (dirs.stateDir && manifest.coverage) {
    await writeCoverageRecord(dirs.stateDir, manifest.base, delivered, manifest.coverage);
  }
  // Chat never endangers the video: a failure is logged and the journal stays for a retry.
  await deliverSidecars(manifest, dirs.tempDir).catch((error) =>
    log.error("Cannot write the chat and info of {base}: {error}", {
      base: manifest.base,
      error: (error as Error).message,
    })
  );
  await removeParts(manifest.parts, settings);
  // A live file that was not delivered (the parts were finalized instead) goes with them.
  if (manifest.live) {
    await removeIfExists(manifest.live.file);
    await removeIfExists(liveRoomPath(manifest.live.file));
  }
  let job: string | undefined;
  const deliverable = delivered[0];
  if (manifest.enable_remux && deliverable) {
    job = await enqueueOnce(dirs, deliverable, manifest, now());
    await failpoint("enqueued");
  }
  // After the encode job, so the uploader sees that the encoder still needs the recording.
  const files = await sessionFiles(delivered);
  await queueUploads(dirs.upload, dirs.queueDir, manifest.user, files, now());
  await removeManifest(dirs.tempDir, manifest.base);
  log.info("Finished {base}: {file}", { base: manifest.base, file: deliverable });
  return {
    user: manifest.user,
    base: manifest.base,
    delivered,
    duration: manifest.duration ?? 0,
    parts: manifest.parts.length,
    ...(manifest.fallback_reason ? { fallbackReason: manifest.fallback_reason } : {}),
    ...(job ? { job } : {}),
    ...(manifest.coverage ? { coverage: manifest.coverage } : {}),
  };
}

/**
 * Enqueues the encode job for `input` unless one (pending, running or failed) already exists
 * or its output is already encoded: a repeated finish never queues a second job.
 */
async function enqueueOnce(
  dirs: SessionDirs,
  input: string,
  manifest: SessionManifest,
  createdAt: Date,
): Promise<string | undefined> {
  const queue = await listQueue(dirs.queueDir);
  const existing = [...queue.pending, ...queue.failed].find((job) => job.input === input);
  if (existing) return existing.path;
  const stem = basename(input).replace(/\.[^.]+$/, "");
  const output = join(dirs.recordDir, `${stem}_compressed.mp4`);
  if (await pathExists(output)) return undefined;
  const fallback = manifest.fallback_reason && `not a verified .mp4: ${manifest.fallback_reason}`;
  const note = [fallback, manifest.backfill?.note, deliveredBy(manifest)].filter(Boolean).join(
    "; ",
  );
  return await enqueueJob(dirs.queueDir, {
    input,
    output,
    created_at: createdAt.toISOString(),
    delete_input_on_success: manifest.delete_input_on_success,
    ...(note ? { note } : {}),
  });
}

/**
 * The live file staged as the deliverable (`[record] live_remux`), or why the parts are finalized
 * instead (logged); nothing without live remux.
 */
async function stageLive(
  manifest: SessionManifest,
  settings: FinalizeSettings,
  chapters: StagedChapters | undefined,
): Promise<{ staged?: StagedFinalize; reason?: string; live?: LiveRemuxJournal }> {
  if (!manifest.live) return {};
  const continued = await continuedLive(manifest, settings);
  const withLive = continued ? { ...manifest, live: continued } : manifest;
  const live = await stageLiveDelivery(withLive, settings, chapters?.chapters ?? []);
  const journal = continued ? { live: continued } : {};
  if (typeof live !== "string") {
    log.info("{base} was written while recording: delivered without a pass over its parts", {
      base: manifest.base,
    });
    return { staged: live, ...journal };
  }
  log.warn("Finalizing the parts of {base}: {reason}", { base: manifest.base, reason: live });
  // Never delivered from now on: its room goes to the pass over the parts, unless it holds
  // what was freed of them (read up to the checkpoint with the parts after it).
  if (!manifest.live.checkpoint) await removeIfExists(manifest.live.file);
  return { reason: live, ...journal };
}

/**
 * A live file its host left `running` at a journaled checkpoint (killed, or left to a poller
 * that never came), gone on with from the parts (`continueLiveFile`): its journal, `closed` when
 * whole. Undefined where the parts must be finalized anyway (back-fill went in, a merged `.ts` is
 * asked for) or there is nothing to go on from.
 */
async function continuedLive(
  manifest: SessionManifest,
  settings: FinalizeSettings,
): Promise<LiveRemuxJournal | undefined> {
  const live = manifest.live;
  if (live?.state !== "running" || !live.checkpoint) return undefined;
  if (!manifest.enable_remux || !manifest.delete_ts_after_remux) return undefined;
  if ((manifest.backfill?.seconds ?? 0) > 0) return undefined;
  log.info("Going on with the live file of {base} from its checkpoint", { base: manifest.base });
  const resume = {
    checkpoint: live.checkpoint,
    parts: manifest.parts,
    freedBytes: live.freed_bytes ?? 0,
  };
  // Each new checkpoint is journaled before anything past the last one is freed.
  const journal = (next: LiveRemuxJournal) =>
    writeManifest(settings.tempDir, { ...manifest, live: next });
  return await continueLiveFile(settings.tempDir, manifest.base, resume, {
    journal,
    ...(settings.lowPriority ? { lowPriority: settings.lowPriority } : {}),
  });
}

/**
 * The job's note when live remux failed and the parts delivered instead (a file written while
 * recording, or parts delivering by plan, need none: `coverage.delivered_by` says which).
 */
function deliveredBy(manifest: SessionManifest): string | undefined {
  if (manifest.coverage?.delivered_by !== "parts") return undefined;
  if (isPlannedFallback(manifest.live?.reason)) return undefined;
  return `finalized from the parts: ${manifest.live?.reason ?? "live remux failed"}`;
}

/** The delivered files with the chat and info sidecars that sit beside the first of them. */
async function sessionFiles(delivered: readonly string[]): Promise<string[]> {
  const first = delivered[0];
  if (!first) return [...delivered];
  const stem = first.replace(/\.[^./]+$/, "");
  const sidecars = [`${stem}.chat.json`, `${stem}.info.json`];
  const present = await Promise.all(sidecars.map((path) => pathExists(path)));
  return [...delivered, ...sidecars.filter((_, index) => present[index])];
}

/** The manifest with its parts back-filled from the VOD (`backfill` records that it ran). */
async function backfilled(
  manifest: SessionManifest,
  tempDir: string,
  settings: BackfillSettings,
): Promise<SessionManifest> {
  const result = await backfillFromVod({
    tempDir,
    base: manifest.base,
    parts: manifest.parts,
    vodUrlTemplate: settings.vodUrlTemplate,
    quality: settings.quality,
    ...(manifest.vod_id ? { vodId: manifest.vod_id } : {}),
    ...(manifest.live_since ? { liveSince: manifest.live_since } : {}),
    ...(manifest.first_data_at ? { firstDataAt: manifest.first_data_at } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const note = result.notes.length > 0 ? `back-fill: ${result.notes.join("; ")}` : undefined;
  return {
    ...manifest,
    parts: result.parts,
    backfill: { seconds: result.seconds, ...(note ? { note } : {}) },
  };
}
