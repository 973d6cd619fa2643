import { deliverSidecars, leftSidecarJobs } from "../chat/deliver_sidecars.ts";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { channelConfig } from "../config/channel_settings.ts";
import { ensurePrivateDir, pathExists } from "../state/atomic_write.ts";
import { isSessionCaptureAlive, removeCaptureLock } from "../state/capture_lock.ts";
import { FileLock } from "../state/file_lock.ts";
import { readManifest, removeManifest, type SessionManifest } from "../state/session_manifest.ts";
import { ensureRuntimeDir } from "../state/runtime_dir.ts";
import { isUserHosted } from "../state/user_lock.ts";
import {
  backfillSettings,
  type FinishedSession,
  finishSession,
  sessionUploadSettings,
} from "./finish_session.ts";
import {
  type QuarantinedPart,
  quarantinePart,
  unreadableDir,
  unreadableReason,
} from "./quarantine_part.ts";
import { listSessionFiles, manifestPath, sortParts, userOfBase } from "../state/session_folder.ts";
import { trimToCompleteMedia } from "./trim_to_complete_media.ts";

const log = getLogger(["twitchtool", "recover"]);

/** A capture session left in the temp dir. */
export interface LeftSession {
  readonly tempDir: string;
  readonly manifest: SessionManifest;
  /** No manifest: parts left by the original tool or by a crash before the first write. */
  readonly orphan: boolean;
}

/** What `recover` did (or, with `--dry-run`, would do) with one session. */
export interface RecoveryReport {
  readonly base: string;
  readonly user: string;
  readonly parts: number;
  readonly action:
    | "recovered"
    | "would-recover"
    | "recorder-alive"
    | "capture-alive"
    | "busy"
    | "quarantined"
    | "sidecars"
    | "failed";
  readonly detail?: string;
  readonly result?: FinishedSession;
  /** With `sidecars`: the chat and info files written for a recording delivered earlier. */
  readonly sidecars?: readonly string[];
  /** Unreadable parts moved to `temp/unreadable/` (with `recovered` or `quarantined`). */
  readonly quarantined?: readonly QuarantinedPart[];
}

/**
 * Sessions in `tempDir`: every manifest, with parts found on disk added (the part being written
 * at a crash is not in the manifest yet), plus orphan parts grouped by their base name.
 */
export async function findLeftSessions(tempDir: string, config: Config): Promise<LeftSession[]> {
  const { manifests, partsByBase } = await listSessionFiles(tempDir);
  const sessions: LeftSession[] = [];
  for (const path of manifests) {
    const manifest = await readManifest(path);
    if (!manifest) {
      log.warn("Ignoring unreadable session manifest {path}", { path });
      continue;
    }
    const onDisk = partsByBase.get(manifest.base) ?? [];
    partsByBase.delete(manifest.base);
    const parts = manifest.phase === "capturing"
      ? sortParts([...new Set([...manifest.parts, ...onDisk])], manifest.base)
      : manifest.parts;
    sessions.push({ tempDir, manifest: { ...manifest, parts }, orphan: false });
  }
  for (const [base, parts] of partsByBase) {
    const user = userOfBase(base);
    if (!user) {
      log.warn("Ignoring parts with an unknown name pattern: {base}", { base });
      continue;
    }
    sessions.push({
      tempDir,
      orphan: true,
      manifest: {
        user,
        base,
        pid: 0,
        started_at: "",
        phase: "capturing",
        parts: sortParts(parts, base),
        enable_remux: config.record.enableRemux,
        delete_ts_after_remux: config.record.deleteTsAfterRemux,
        delete_input_on_success: config.record.deleteInputOnSuccess,
      },
    });
  }
  return sessions;
}

/** Options of {@link recoverSessions}. */
export interface RecoverOptions {
  readonly dryRun?: boolean;
  /** The channel whose lock this process holds: its sessions count as abandoned. */
  readonly ownUser?: string;
  /** This process's own live session, never touched. */
  readonly excludeBase?: string;
  /** Only this channel's sessions (`stop` finishing the one it stopped). */
  readonly onlyUser?: string;
}

/**
 * Finishes every session whose recorder is gone (nobody holds its channel lock) exactly like a
 * normal recording: merge, remux, move, enqueue. A session whose recorder is alive, or whose
 * streamlink still runs after its recorder died (it holds the session's capture lock), is never
 * touched; a per-session lock keeps two recoverers off the same session.
 */
export async function recoverSessions(
  config: Config,
  options: RecoverOptions = {},
): Promise<RecoveryReport[]> {
  const tempDir = config.paths.tempDir;
  const reports: RecoveryReport[] = [];
  for (const session of await findLeftSessions(tempDir, config)) {
    const { manifest } = session;
    if (manifest.base === options.excludeBase) continue;
    if (options.onlyUser !== undefined && manifest.user !== options.onlyUser) continue;
    const summary = { base: manifest.base, user: manifest.user, parts: manifest.parts.length };
    if (
      manifest.user !== options.ownUser &&
      await isUserHosted(config.paths.runtimeDir, manifest.user)
    ) {
      reports.push({ ...summary, action: "recorder-alive" });
      continue;
    }
    await ensureRuntimeDir(config.paths.runtimeDir);
    await ensurePrivateDir(join(config.paths.runtimeDir, "recover"));
    await using lock = await FileLock.tryAcquireRemovable(
      join(config.paths.runtimeDir, "recover", `${manifest.base}.lock`),
    );
    if (!lock) {
      reports.push({ ...summary, action: "busy", detail: "another process is recovering it" });
      continue;
    }
    if (!(await stillThere(session))) continue;
    if (
      manifest.phase === "capturing" &&
      await isSessionCaptureAlive(config.paths.runtimeDir, manifest.base)
    ) {
      reports.push({ ...summary, action: "capture-alive" });
      continue;
    }
    if (options.dryRun) {
      reports.push({ ...summary, action: "would-recover", detail: `phase ${manifest.phase}` });
      continue;
    }
    try {
      const quarantined: QuarantinedPart[] = [];
      let session = manifest;
      if (manifest.phase === "capturing") {
        const readable: string[] = [];
        for (const part of manifest.parts) {
          if (!(await pathExists(part))) continue;
          const reason = await unreadableReason(part);
          if (!reason) {
            readable.push(part);
            continue;
          }
          quarantined.push(await quarantinePart(tempDir, part, reason, manifest.base));
          log.warn("Moved unreadable part {part} to {dir}: {reason}", {
            part,
            dir: unreadableDir(tempDir),
            reason,
          });
        }
        session = { ...manifest, parts: readable };
        if (readable.length === 0) {
          // Nothing to finish: without this the session would fail every later `recover`.
          await removeManifest(tempDir, manifest.base);
          await removeCaptureLock(config.paths.runtimeDir, manifest.base);
          const detail = quarantined.length ? "every part was unreadable" : "it holds no part";
          reports.push({ ...summary, action: "quarantined", detail, quarantined });
          continue;
        }
        for (const part of readable) {
          const trimmed = await trimToCompleteMedia(part);
          if (trimmed) {
            log.info("Trimmed {bytes} bytes of a cut-off packet or fragment from {part}", {
              bytes: trimmed,
              part,
            });
          }
        }
      }
      log.info("Recovering {base} ({parts} part(s), phase {phase})", {
        ...summary,
        phase: manifest.phase,
      });
      const result = await finishSession(session, {
        tempDir,
        recordDir: config.paths.recordDir,
        queueDir: config.paths.queueDir,
        stateDir: config.paths.stateDir,
        ...backfillSettings(config),
        // A channel's own `[channel.<login>] upload = false` holds after a crash too.
        ...sessionUploadSettings(channelConfig(config, manifest.user)),
      });
      await removeCaptureLock(config.paths.runtimeDir, manifest.base);
      reports.push({
        ...summary,
        action: "recovered",
        result,
        ...(quarantined.length ? { quarantined } : {}),
      });
    } catch (error) {
      log.error("Cannot recover {base}: {error}", {
        base: manifest.base,
        error: (error as Error).message,
      });
      reports.push({ ...summary, action: "failed", detail: (error as Error).message });
    }
  }
  reports.push(...await recoverSidecars(config, options));
  return reports;
}

/**
 * Writes the chat and info of recordings delivered without them (their fold failed: the
 * journal and the parts' timing were kept in the session folder for this).
 */
async function recoverSidecars(config: Config, options: RecoverOptions): Promise<RecoveryReport[]> {
  const tempDir = config.paths.tempDir;
  const reports: RecoveryReport[] = [];
  for (const job of await leftSidecarJobs(tempDir)) {
    if (job.base === options.excludeBase) continue;
    if (options.onlyUser !== undefined && job.user !== options.onlyUser) continue;
    const summary = { base: job.base, user: job.user, parts: 0 };
    await ensureRuntimeDir(config.paths.runtimeDir);
    await ensurePrivateDir(join(config.paths.runtimeDir, "recover"));
    await using lock = await FileLock.tryAcquireRemovable(
      join(config.paths.runtimeDir, "recover", `${job.base}.lock`),
    );
    // A session with a manifest is still being finished: its sidecars come with it.
    if (!lock || await pathExists(manifestPath(tempDir, job.base))) continue;
    if (options.dryRun) {
      reports.push({ ...summary, action: "would-recover", detail: "its chat and info" });
      continue;
    }
    try {
      const written = await deliverSidecars(job, tempDir);
      if (!written) continue; // Its journal was gone: nothing left to write.
      const files = [written.chat, written.info].filter((file) => file !== undefined);
      reports.push({ ...summary, action: "sidecars", sidecars: files });
    } catch (error) {
      const detail = `cannot write its chat and info: ${(error as Error).message}`;
      log.error("Cannot write the chat and info of {base}: {error}", {
        base: job.base,
        error: (error as Error).message,
      });
      reports.push({ ...summary, action: "failed", detail });
    }
  }
  return reports;
}

/** The session may have been finished by another process between the scan and the lock. */
async function stillThere(session: LeftSession): Promise<boolean> {
  const candidates = session.orphan
    ? session.manifest.parts
    : [manifestPath(session.tempDir, session.manifest.base)];
  for (const path of candidates) {
    try {
      await Deno.lstat(path);
      return true;
    } catch { /* gone */ }
  }
  return false;
}

/** Logs what a background recovery (at `record` or `poller run` start) finished. */
export function logRecoveryReports(reports: readonly RecoveryReport[]): void {
  for (const report of reports) {
    if (report.action === "recovered") {
      log.info("Recovered abandoned session {base}: {file}", {
        base: report.base,
        file: report.result?.delivered[0],
      });
    }
  }
}
