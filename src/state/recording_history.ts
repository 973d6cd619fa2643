/**
 * Finished recordings as `record` delivers them to record_dir: `<user>_<date>_<time>.mp4`
 * (or `.ts` without remux) and, once encoded, `<same>_compressed.mp4` beside it (alone when
 * the encoder deleted the input). Read-only, for `twitchtool history`.
 */
import { basename, dirname, join } from "node:path";
import { parseSessionBase } from "./session_folder.ts";
import { mediaDuration } from "../util/media_duration.ts";
import { listDirEntries, listNames, readJsonFile, statOrUndefined } from "./atomic_write.ts";
import { coverageRecordPath, readCoverageRecord } from "./coverage_record.ts";
import { readUploaded } from "./upload_queue.ts";
import type { RecordingCoverage } from "./session_manifest.ts";

/** One finished recording. */
export interface RecordingEntry {
  readonly user: string;
  /** Start of the recording (from its name, local time), ISO 8601. */
  readonly started_at: string;
  /** The recording as delivered, or null when only its encode is left. */
  readonly path: string | null;
  readonly bytes: number | null;
  /** Playing time of the recording (or of its encode when only that is left). */
  readonly duration_seconds: number | null;
  readonly encoded: boolean;
  readonly compressed_path: string | null;
  readonly compressed_bytes: number | null;
  /**
   * What the recording holds of its broadcast (seconds captured, back-filled, dropped as
   * repeats; holes left), as finalize recorded it; null for recordings finalized without it.
   */
  readonly coverage: RecordingCoverage | null;
  /** Comments in `<stem>.chat.json` beside it; null without one. */
  readonly chat_messages: number | null;
}

const RECORDING = /^(.+?)(_compressed)?\.(mp4|ts)$/;

/**
 * Comments in the `.chat.json` at `path`, null without one. The chat feature owns that format
 * (src/chat/chat_counts.ts), so the caller passes its reader in.
 */
export type ChatFileCount = (path: string) => Promise<number | null>;

/**
 * The newest `limit` recordings in `recordDir`, newest first, with their chat messages counted
 * by `chatMessages` and their coverage from `stateDir` when given.
 */
export async function listRecordings(
  recordDir: string,
  limit: number,
  chatMessages: ChatFileCount,
  stateDir?: string,
): Promise<RecordingEntry[]> {
  const files = new Map<string, { original?: string; compressed?: string }>();
  for (const entry of await listDirEntries(recordDir)) {
    if (!entry.isFile || entry.name.startsWith(".")) continue;
    const match = RECORDING.exec(entry.name);
    if (!match || !parseSessionBase(match[1]!)) continue;
    if (match[2] && match[3] !== "mp4") continue;
    const found = files.get(match[1]!) ?? {};
    if (match[2]) found.compressed = entry.name;
    else found.original ??= entry.name;
    files.set(match[1]!, found);
  }
  const newest = [...files.entries()]
    .map(([stem, found]) => ({ stem, found, base: parseSessionBase(stem)! }))
    .sort((a, b) =>
      b.base.startedAt.getTime() - a.base.startedAt.getTime() || (a.stem < b.stem ? 1 : -1)
    )
    .slice(0, limit);
  return await Promise.all(newest.map(async ({ stem, found, base }) => {
    const path = found.original ? join(recordDir, found.original) : null;
    const compressed = found.compressed ? join(recordDir, found.compressed) : null;
    return {
      user: base.user,
      started_at: base.startedAt.toISOString(),
      path,
      bytes: path ? await sizeOf(path) : null,
      duration_seconds: await mediaDuration((path ?? compressed)!),
      encoded: compressed !== null,
      compressed_path: compressed,
      compressed_bytes: compressed ? await sizeOf(compressed) : null,
      coverage: stateDir ? await readCoverageRecord(stateDir, stem) : null,
      chat_messages: await chatMessages(join(recordDir, `${stem}.chat.json`)),
    };
  }));
}

/** A recording none of whose files is left in record_dir, each gone only after it arrived. */
export interface RemoteOnlyRecording extends RecordingEntry {
  /** `remote:path` the recording arrived at, null when it did not go (or not whole). */
  readonly remote_original: string | null;
  /** `remote:path` its encode arrived at, null without one. */
  readonly remote_compressed: string | null;
}

/**
 * The newest `limit` recordings (newer than `after` when given) that finalize delivered (their
 * coverage records in `stateDir`) and that are no longer on disk because they were uploaded and
 * then deleted (`[upload] delete_local`): `history` goes on listing them from the upload queue's
 * records of what arrived (state/upload_queue.ts). Sizes are the uploaded ones; the playing time
 * is the coverage's (captured plus back-filled seconds), since no file is left to read it from.
 */
export async function listRemoteOnlyRecordings(
  stateDir: string,
  queueDir: string,
  limit: number,
  after?: Date,
): Promise<RemoteOnlyRecording[]> {
  const stems = (await listNames(join(stateDir, "recordings")))
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ stem: name.slice(0, -5), base: parseSessionBase(name.slice(0, -5)) }))
    .filter(({ base }) => base !== undefined && (!after || base.startedAt > after))
    .sort((a, b) =>
      b.base!.startedAt.getTime() - a.base!.startedAt.getTime() || (a.stem < b.stem ? 1 : -1)
    );
  const found: RemoteOnlyRecording[] = [];
  for (const { stem, base } of stems) {
    if (found.length >= limit) break;
    const entry = await remoteOnly(stateDir, queueDir, stem, base!.user, base!.startedAt);
    if (entry) found.push(entry);
  }
  return found;
}

/** Session `stem` as a remote-only recording, or null when a file of it is still here or never arrived. */
async function remoteOnly(
  stateDir: string,
  queueDir: string,
  stem: string,
  user: string,
  startedAt: Date,
): Promise<RemoteOnlyRecording | null> {
  const record = await readJsonFile(coverageRecordPath(stateDir, stem)).catch(() => undefined) as
    | { delivered?: unknown }
    | undefined;
  const delivered = Array.isArray(record?.delivered) ? record.delivered : [];
  const original = delivered.find((path): path is string => {
    const match = typeof path === "string" ? RECORDING.exec(basename(path)) : null;
    return match !== null && match[2] === undefined;
  });
  if (!original) return null;
  const compressed = join(dirname(original), `${stem}_compressed.mp4`);
  for (const path of [original, compressed]) {
    if (await statOrUndefined(path)) return null;
  }
  const [sent, sentEncode] = await Promise.all(
    [original, compressed].map((path) => readUploaded(queueDir, path)),
  );
  if (!sent && !sentEncode) return null;
  const coverage = await readCoverageRecord(stateDir, stem);
  return {
    user,
    started_at: startedAt.toISOString(),
    path: null,
    bytes: sent?.bytes ?? null,
    duration_seconds: coverage ? coverage.captured_seconds + coverage.backfilled_seconds : null,
    encoded: sentEncode !== undefined,
    compressed_path: null,
    compressed_bytes: sentEncode?.bytes ?? null,
    coverage,
    chat_messages: null,
    remote_original: sent?.remote ?? null,
    remote_compressed: sentEncode?.remote ?? null,
  };
}

/**
 * The newest `limit` finished recordings, newest first: those in record_dir and those only the
 * remote holds now (uploaded, then deleted here), merged. `history` and the status page both
 * list these. Remote-only ones older than the last of a full local list cannot make the cut.
 */
export async function listFinishedRecordings(
  paths: { recordDir: string; stateDir: string; queueDir: string },
  limit: number,
  chatMessages: ChatFileCount,
): Promise<(RecordingEntry | RemoteOnlyRecording)[]> {
  const local = await listRecordings(paths.recordDir, limit, chatMessages, paths.stateDir);
  const oldest = local.length >= limit && local.length > 0
    ? new Date(local.at(-1)!.started_at)
    : undefined;
  const remote = await listRemoteOnlyRecordings(paths.stateDir, paths.queueDir, limit, oldest);
  return [...local, ...remote]
    .sort((a, b) => a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0)
    .slice(0, limit);
}

/** Whether `entry` is a recording only the remote holds now. */
export function isRemoteOnly(entry: RecordingEntry): entry is RemoteOnlyRecording {
  return "remote_original" in entry;
}

/**
 * The recording's file as it is in record_dir now: the delivered original, or its encode when
 * only that is left (`listRecordings()` lists no entry without either).
 */
export function recordingFile(
  entry: Pick<RecordingEntry, "path" | "compressed_path">,
): string {
  return (entry.path ?? entry.compressed_path)!;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return null;
  }
}
