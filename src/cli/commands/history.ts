import { chatFileCount } from "../../chat/chat_counts.ts";
import { basename } from "node:path";
import {
  isRemoteOnly,
  listFinishedRecordings,
  type RecordingEntry,
  recordingFile,
} from "../../state/recording_history.ts";
import type { RecordingCoverage } from "../../state/session_manifest.ts";
import { formatBytes } from "../../util/disk_space.ts";
import { formatDuration } from "../../util/format_duration.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { renderTable, tableLimit } from "../render_table.ts";
import { isUploadPending, readUploaded } from "../../state/upload_queue.ts";
import { fitsWhole } from "../table_layout.ts";
import { localTime } from "../human_values.ts";
import { parseCount } from "../options.ts";
import { currentLogin, readChannelIds } from "../../state/channel_ids.ts";

/** Options of `twitchtool history`. */
export interface HistoryOptions {
  json?: boolean;
  limit?: string;
}

/**
 * `twitchtool history`: the newest finished recordings in record_dir with start, duration,
 * size (of the recording, or of its encode when only that is left) and whether they are
 * encoded and uploaded; `--json` prints one object with the full values and paths. Recordings
 * uploaded and then deleted here (`[upload] delete_local`) stay listed, as `remote only`.
 */
export async function historyCommand(
  options: HistoryOptions,
  globals: GlobalOptions,
): Promise<number> {
  const limit = parseCount(options.limit, "--limit", 20);
  const config = await loadCommandConfig(globals);
  const recordDir = config.paths.recordDir;
  const listedAs = await listFinishedRecordings(config.paths, limit, chatFileCount);
  // A channel renamed on Twitch: its recordings under both names are listed under the new one.
  const { renames } = await readChannelIds(config.paths.stateDir);
  const recordings = listedAs.map((r) => ({ ...r, user: currentLogin(renames, r.user) }));
  const uploads = await Promise.all(
    listedAs.map((r) => uploadsOf(config.paths.queueDir, r)),
  );
  if (options.json) {
    // `file` is never null: the one to open, whichever of the two is left.
    const listed = recordings.map(({ user, started_at, ...rest }, index) => ({
      user,
      ...(listedAs[index]!.user !== user ? { recorded_as: listedAs[index]!.user } : {}),
      started_at,
      file: shownFile(listedAs[index]!),
      ...withoutRemote(rest),
      remote_only: isRemoteOnly(listedAs[index]!),
      uploaded: uploads[index]!,
    }));
    printLine(JSON.stringify({ record_dir: recordDir, recordings: listed }));
    return 0;
  }
  if (recordings.length === 0) {
    printLine(`No finished recordings in ${recordDir}`);
    return 0;
  }
  printLine(`Newest ${recordings.length} recording(s) in ${recordDir}`);
  const shown = config.upload.remote !== undefined ||
      uploads.some((u) => u.original !== null || u.compressed !== null)
    ? uploads
    : undefined;
  printLine(historyTable(recordings, shown));
  // What each recording holds of its broadcast, where finalize recorded it.
  for (const r of recordings) {
    if (r.coverage) {
      printLine(`${localTime(r.started_at)} ${r.user}: ${describeCoverage(r.coverage)}`);
    }
  }
  return 0;
}

/** The file to open: the local one, or where a remote-only recording went (its encode first). */
function shownFile(r: RecordingEntry): string {
  return isRemoteOnly(r) ? (r.remote_compressed ?? r.remote_original)! : recordingFile(r);
}

/** An entry without the remote paths, which `uploaded` already names in `--json`. */
function withoutRemote<T extends object>(
  entry: T,
): Omit<T, "remote_original" | "remote_compressed"> {
  const { remote_original: _o, remote_compressed: _c, ...rest } = entry as T & {
    remote_original?: unknown;
    remote_compressed?: unknown;
  };
  return rest;
}

/**
 * One row a recording. The chat column only when some recording has chat, and the file's name
 * (in record_dir, named above the table) only when the table fits the terminal with it, every
 * value whole: at 80 columns the channel and time say which broadcast it is, and `--json` names
 * the file.
 */
function historyTable(
  recordings: readonly RecordingEntry[],
  uploads: readonly RecordingUploads[] | undefined,
): string {
  const chat = recordings.some((r) => r.chat_messages !== null);
  const head = [
    "started",
    "user",
    "duration",
    "size",
    "encoded",
    ...(chat ? ["chat"] : []),
    ...(uploads ? ["uploaded"] : []),
  ];
  const rows = recordings.map((r, index) => [
    localTime(r.started_at),
    r.user,
    r.duration_seconds === null ? "?" : formatDuration(r.duration_seconds),
    formatBytes(r.bytes ?? r.compressed_bytes ?? 0),
    !r.encoded ? "no" : r.path || isRemoteOnly(r) ? "yes" : "yes, original deleted",
    ...(chat ? [r.chat_messages === null ? "-" : String(r.chat_messages)] : []),
    ...(uploads ? [uploadedText(uploads[index]!)] : []),
  ]);
  const withFile = rows.map((row, index) => [...row, basename(shownFile(recordings[index]!))]);
  return fitsWhole([...head, "file"], withFile, tableLimit())
    ? renderTable([...head, "file"], withFile)
    : renderTable(head, rows);
}

/**
 * What a recording holds, in words: `complete`, or its holes (`gap 40s at 12m30s`, `gap ?` when
 * the length is unknown), and how much of it came from the VOD (back-fill). Seconds dropped as
 * repeats are in `--json`.
 */
export function describeCoverage(coverage: RecordingCoverage): string {
  const filled = coverage.backfilled_seconds > 0
    ? `, ${formatDuration(coverage.backfilled_seconds)} from the VOD`
    : "";
  if (coverage.gaps.length === 0) return `complete${filled}`;
  return coverage.gaps.map((hole) =>
    `gap ${hole.seconds === null ? "?" : formatDuration(hole.seconds)} at ${
      formatDuration(hole.at_seconds)
    }`
  ).join(", ") + filled;
}

/** Where a recording's files arrived (`remote:path`, null when not), and whether some wait. */
interface RecordingUploads {
  readonly original: string | null;
  readonly compressed: string | null;
  readonly pending: boolean;
  /** Every file of the recording still here has arrived. */
  readonly all: boolean;
  /** No file of it is left here: the remote holds what there is. */
  readonly remote_only: boolean;
}

/** The upload records of a recording's original and encode (state/upload_queue.ts). */
async function uploadsOf(queueDir: string, r: RecordingEntry): Promise<RecordingUploads> {
  if (isRemoteOnly(r)) {
    const [original, compressed] = [r.remote_original, r.remote_compressed];
    return { original, compressed, pending: false, all: true, remote_only: true };
  }
  const files = [r.path, r.compressed_path];
  const [original, compressed] = await Promise.all(
    files.map(async (path) => path ? (await readUploaded(queueDir, path))?.remote ?? null : null),
  );
  const waiting = await Promise.all(
    files.map((path) => path ? isUploadPending(queueDir, path) : false),
  );
  const all = (r.path === null || original !== null) &&
    (r.compressed_path === null || compressed !== null);
  return {
    original: original!,
    compressed: compressed!,
    pending: waiting.some(Boolean),
    all,
    remote_only: false,
  };
}

/** `remote only`, `yes`, `original`, `encode`, `pending` or `no`, for the table. */
function uploadedText(uploads: RecordingUploads): string {
  if (uploads.remote_only) return "remote only";
  if (uploads.all) return "yes";
  const one = uploads.original ? "original" : uploads.compressed ? "encode" : undefined;
  if (uploads.pending) return one ? `${one}, rest pending` : "pending";
  return one ?? "no";
}
