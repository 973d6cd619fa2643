/**
 * Finalize's steps for what a recording's journal holds (chat, title/game, the part timing):
 * before the video pass, {@link stageChapters} writes the ffmetadata that pass reads; once the
 * video is delivered and before the parts are deleted (their clocks place the messages),
 * {@link deliverSidecars} writes `<stem>.chat.json` (with chat on) and `<stem>.info.json`
 * beside it, atomically, then drops the journal. Both run in `finish_session.ts`, so `record`,
 * `recover` and an adopting poller all do it, and repeating them after a crash writes the same
 * files again.
 */
import { basename, dirname, extname, join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { DTS_JUMP_THRESHOLD_SECONDS } from "../proc/ffmpeg_args.ts";
import {
  listDirEntries,
  pathExists,
  readJsonFile,
  removeIfExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "../state/atomic_write.ts";
import { tsTimeRange } from "../util/media_duration.ts";
import { isJsonObject } from "../util/is_json_object.ts";
import { chatJournalPath, journalEntries, type JournalEntry } from "./chat_journal.ts";
import { type DeliveredPart, DeliveredTimeline } from "./delivered_timeline.ts";
import { foldChat } from "./fold_chat.ts";
import { type Chapter, chaptersOf, ffmetadata, metaHistory } from "./session_chapters.ts";
import { sessionInfo } from "./session_info.ts";

const log = getLogger(["twitchtool", "chat"]);

/** The session facts these files need (a subset of the manifest). */
export interface ChatSession {
  readonly user: string;
  readonly base: string;
  readonly started_at: string;
  readonly stream_id?: string;
  readonly live_since?: string;
  readonly first_data_at?: string;
  readonly duration?: number;
  readonly parts: readonly string[];
  readonly delivered?: readonly string[];
}

/** What finalize writes beside a recording: its chat; retention deletes it with the video. */
export const CHAT_SUFFIX = ".chat.json";
/** What finalize writes beside a recording: its info; retention deletes it with the video. */
export const INFO_SUFFIX = ".info.json";

/** `<dir>/<stem><suffix>` for a delivered recording. */
export function sidecarFor(recording: string, suffix: string): string {
  return join(dirname(recording), `${basename(recording, extname(recording))}${suffix}`);
}

/** The session facts and the parts' timing, kept until the chat and info are written. */
export interface SidecarJob extends ChatSession {
  readonly ranges: readonly DeliveredPart[];
}

const JOB_SUFFIX = ".sidecars.json";

/** `<temp>/<base>.sidecars.json`: a {@link SidecarJob}. */
export function sidecarJobPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}${JOB_SUFFIX}`);
}

/** The facts of `session` the sidecars need (a manifest holds more), with the parts' timing. */
function sidecarJob(session: ChatSession, ranges: readonly DeliveredPart[]): SidecarJob {
  const { user, base, started_at, stream_id, live_since, first_data_at, duration } = session;
  return {
    user,
    base,
    started_at,
    ...(stream_id !== undefined ? { stream_id } : {}),
    ...(live_since !== undefined ? { live_since } : {}),
    ...(first_data_at !== undefined ? { first_data_at } : {}),
    ...(duration !== undefined ? { duration } : {}),
    parts: session.parts,
    delivered: session.delivered ?? [],
    ranges,
  };
}

/** The job at `path`, or undefined when there is none (or it is not one). */
async function readSidecarJob(path: string): Promise<SidecarJob | undefined> {
  const job = await readJsonFile(path).catch(() => undefined);
  const strings = (value: unknown) =>
    Array.isArray(value) && value.every((item) => typeof item === "string");
  const valid = isJsonObject(job) && typeof job.user === "string" &&
    typeof job.base === "string" && typeof job.started_at === "string" &&
    strings(job.parts) && strings(job.delivered) && Array.isArray(job.ranges);
  return valid ? job as unknown as SidecarJob : undefined;
}

/**
 * Sessions finished but for their chat and info (a fold failed after the video was delivered):
 * the jobs in `tempDir`. One whose session still has a manifest is being finished, sidecars
 * included, and is not the caller's to fold.
 */
export async function leftSidecarJobs(tempDir: string): Promise<SidecarJob[]> {
  const jobs: SidecarJob[] = [];
  for (const entry of await listDirEntries(tempDir)) {
    if (!entry.isFile || !entry.name.endsWith(JOB_SUFFIX)) continue;
    const job = await readSidecarJob(join(tempDir, entry.name));
    if (job) jobs.push(job);
  }
  return jobs;
}

/** `<temp>/<base>.ffmeta`: the chapters the finalize pass writes into the `.mp4`. */
export function chaptersPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}.ffmeta`);
}

/** What the timeline needs of the journal: every entry but the chat lines, and its last time. */
interface JournalTiming {
  readonly entries: JournalEntry[];
  readonly lastMs: number | undefined;
  readonly chat: boolean;
}

async function readTiming(journal: string): Promise<JournalTiming> {
  const entries: JournalEntry[] = [];
  let lastMs: number | undefined;
  for await (const entry of journalEntries(journal)) {
    lastMs = Math.max(lastMs ?? entry.w, entry.w);
    if (entry.k !== "irc") entries.push(entry);
  }
  return { entries, lastMs, chat: entries.some((entry) => entry.k === "chat") };
}

/** Each part's first and last timestamps, which place it on the broadcast's clock. */
async function measureParts(parts: readonly string[]): Promise<DeliveredPart[]> {
  const measured = [];
  for (const path of parts) measured.push({ path, range: await tsTimeRange(path) });
  return measured;
}

async function load(session: ChatSession, tempDir: string, parts?: readonly DeliveredPart[]) {
  const journal = chatJournalPath(tempDir, session.base);
  if (!(await pathExists(journal))) return undefined;
  const timing = await readTiming(journal);
  const timeline = new DeliveredTimeline(
    parts ?? await measureParts(session.parts),
    timing.entries,
    DTS_JUMP_THRESHOLD_SECONDS,
    timing.lastMs,
  );
  return { journal, timing, timeline };
}

/** The title/game chapters of a session, and the ffmetadata file that holds them for finalize. */
export interface StagedChapters {
  readonly file: string;
  readonly chapters: readonly Chapter[];
}

/**
 * Writes the chapters file when the journal saw a title or game; it and the chapters, or
 * undefined (no journal, or nothing to mark).
 */
export async function stageChapters(
  session: ChatSession,
  tempDir: string,
): Promise<StagedChapters | undefined> {
  const loaded = await load(session, tempDir);
  if (!loaded) return undefined;
  const chapters = chaptersOf(
    metaHistory(loaded.timing.entries, loaded.timeline),
    loaded.timeline.totalSeconds,
  );
  if (chapters.length === 0) return undefined;
  const path = chaptersPath(tempDir, session.base);
  await writeFileAtomic(path, ffmetadata(chapters));
  return { file: path, chapters };
}

/**
 * Writes `<stem>.chat.json` (when chat was captured) and `<stem>.info.json` beside the
 * delivered recording, then removes the journal and chapters file; undefined without a
 * journal. What the files need of the session, the parts' timing included, is first kept in
 * `<temp>/<base>.sidecars.json`: a fold that fails (a full disk, a bug) leaves it with the
 * journal, and `recover` folds them later ({@link leftSidecarJobs}), when the parts are gone.
 */
export async function deliverSidecars(
  session: ChatSession,
  tempDir: string,
): Promise<{ chat?: string; info: string; comments: number | null } | undefined> {
  const recording = session.delivered?.[0];
  const job = sidecarJobPath(tempDir, session.base);
  if (!recording || !(await pathExists(chatJournalPath(tempDir, session.base)))) {
    await removeIfExists(job);
    return undefined;
  }
  const kept = await readSidecarJob(job);
  const parts = kept?.ranges ?? await measureParts(session.parts);
  if (!kept) await writeJsonAtomic(job, sidecarJob(session, parts));
  const loaded = await load(kept ?? session, tempDir, parts);
  if (!loaded) return undefined;
  const comments = await writeChat(kept ?? session, recording, loaded);
  const info = sidecarFor(recording, INFO_SUFFIX);
  await writeJsonAtomic(
    info,
    sessionInfo(kept ?? session, recording, loaded.timing.entries, loaded.timeline, comments),
  );
  await removeIfExists(loaded.journal);
  await removeIfExists(chaptersPath(tempDir, session.base));
  await removeIfExists(job);
  return {
    info,
    comments,
    ...(comments !== null ? { chat: sidecarFor(recording, CHAT_SUFFIX) } : {}),
  };
}

async function writeChat(
  session: ChatSession,
  recording: string,
  { journal, timing, timeline }: NonNullable<Awaited<ReturnType<typeof load>>>,
): Promise<number | null> {
  if (!timing.chat) return null;
  const path = sidecarFor(recording, CHAT_SUFFIX);
  const folded = await foldChat(
    { user: session.user, streamId: session.stream_id, startedAt: session.started_at },
    journal,
    timeline,
    path,
  );
  log.info("Chat of {base}: {count} message(s) in {path}", {
    base: session.base,
    count: folded.comments,
    path,
  });
  return folded.comments;
}
