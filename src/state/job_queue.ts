/**
 * The encode job queue: one JSON file per job under `<queue_dir>/jobs/`, written by `record`
 * and consumed by the encoder daemon. Everything that moves or removes a job file lives here.
 *
 * Layout:
 * - `jobs/<name>.json`: pending, run oldest first (`created_at`, then name).
 * - `running/<name>.json`: claimed by the daemon that holds the encoder lock. A claim is a
 *   rename, so a job is in exactly one place; after a crash the next daemon moves it back.
 * - `jobs/<name>.invalid.json`: unreadable job moved aside so it never blocks the queue.
 * - `jobs/<name>.failed.json` + `jobs/<name>.error.json`: a job that cannot succeed and why.
 */
import { basename, isAbsolute, join } from "node:path";
import { isJsonObject } from "../util/is_json_object.ts";
import {
  ensurePrivateDir,
  freeName,
  ifFound,
  listNames,
  pathExists,
  readJsonFile,
  removeIfExists,
  syncDirectory,
  writeJsonAtomic,
} from "./atomic_write.ts";

/** An encode job as stored in `<queue_dir>/jobs/*.json`. */
export interface EncodeJob {
  /** Absolute path of the finalized recording. */
  readonly input: string;
  /** Absolute path of the compressed result. */
  readonly output: string;
  /** ISO 8601; jobs run oldest first. */
  readonly created_at: string;
  readonly delete_input_on_success: boolean;
  /** Why the input is not the verified `.mp4` finalize aims for (`status` shows it). */
  readonly note?: string;
  /**
   * Journal of the encoder's finishing steps: the identity of the verified output, written just
   * before it is renamed to `output`. A later run finding exactly this file at `output` knows
   * the encoder produced it from `input` and completes the job, even if the input is gone.
   */
  readonly encoded_output?: OutputStamp;
}

/** Identity of a file: an output whose device, inode, size and mtime all match is that file. */
export interface OutputStamp {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtime_ms: number;
}

/** A job as found on disk: where its file is, and for failed jobs why it failed. */
export type QueuedJob = EncodeJob & {
  /** The job file (under `jobs/`, or `running/` while claimed). */
  readonly path: string;
  /** Claimed by the encoder (it is being encoded, or the encoder died while encoding it). */
  readonly running?: boolean;
  /** Reason from the `*.error.json` sidecar of a failed job. */
  readonly error?: string;
};

/** A job file that cannot be read as a job, and why. */
export interface BadJobFile {
  readonly path: string;
  readonly reason: string;
  /** Last change of the file (ISO 8601). */
  readonly modified_at: string;
}

/** What {@link listQueue} sees. */
export interface QueueListing {
  /** In run order: claimed jobs first, then pending jobs oldest first. */
  readonly pending: QueuedJob[];
  /** Failed jobs, oldest first, with their reasons. */
  readonly failed: QueuedJob[];
  /**
   * Unreadable job files: moved aside (`*.invalid.json`), or pending ones older than
   * {@link JOB_WRITE_GRACE_MS} that the encoder moves aside when it gets to them.
   */
  readonly invalid: BadJobFile[];
  /** Unreadable pending files changed within {@link JOB_WRITE_GRACE_MS}: maybe still being written. */
  readonly too_young: BadJobFile[];
}

/** An unreadable job file this recent may still be being written; it is judged later. */
export const JOB_WRITE_GRACE_MS = 10_000;

/** A job this process has claimed (moved under `running/`); settle it with one of the helpers. */
export interface ClaimedJob {
  readonly job: EncodeJob;
  /** Its file under `running/`. */
  readonly path: string;
  /** File name it had (and gets back) under `jobs/`. */
  readonly name: string;
  readonly queueDir: string;
}

/** Result of reading one job file. */
export type ParsedJob = { ok: true; job: EncodeJob } | { ok: false; reason: string };

const INVALID_SUFFIX = ".invalid.json";
const FAILED_SUFFIX = ".failed.json";
const ERROR_SUFFIX = ".error.json";
const SPECIAL_SUFFIXES = [INVALID_SUFFIX, FAILED_SUFFIX, ERROR_SUFFIX];

/** Folder holding pending jobs. */
export function jobsDir(queueDir: string): string {
  return join(queueDir, "jobs");
}

/** Folder holding the job the encoder has claimed. */
export function runningDir(queueDir: string): string {
  return join(queueDir, "running");
}

/** Writes a job atomically under a unique name; returns its path. */
export async function enqueueJob(queueDir: string, job: EncodeJob): Promise<string> {
  const dir = jobsDir(queueDir);
  await ensurePrivateDir(dir);
  const stamp = job.created_at.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const stem = job.input.split("/").pop()?.replace(/\.[^.]+$/, "") ?? "job";
  for (let n = 0;; n++) {
    const path = join(dir, `${stamp}_${stem}${n ? `-${n}` : ""}.json`);
    if (await pathExists(path)) continue;
    await writeJsonAtomic(path, job);
    return path;
  }
}

/**
 * Reads a job document. Accepts the original Python twitchtool's keys (`in`/`out`, epoch
 * `created_at`) so a user who switches tools keeps the queue they had; `fallbackCreatedAt`
 * (the file's mtime) stands in when the job has no `created_at`.
 */
export function parseJob(text: string, fallbackCreatedAt: Date): ParsedJob {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (!isJsonObject(value)) return { ok: false, reason: "not a JSON object" };
  const raw = value;
  const input = raw.input ?? raw.in;
  const output = raw.output ?? raw.out;
  if (typeof input !== "string" || !isAbsolute(input)) {
    return { ok: false, reason: `"input" must be an absolute path, got ${JSON.stringify(input)}` };
  }
  if (typeof output !== "string" || !isAbsolute(output)) {
    return {
      ok: false,
      reason: `"output" must be an absolute path, got ${JSON.stringify(output)}`,
    };
  }
  if (input === output) return { ok: false, reason: `"output" is the same file as "input"` };
  const createdAt = parseCreatedAt(raw.created_at, fallbackCreatedAt);
  if (createdAt === undefined) {
    return {
      ok: false,
      reason: `"created_at" must be a date, got ${JSON.stringify(raw.created_at)}`,
    };
  }
  const deleteInput = raw.delete_input_on_success ?? raw.delete_input ?? false;
  if (typeof deleteInput !== "boolean") {
    return {
      ok: false,
      reason: `"delete_input_on_success" must be true or false, got ${JSON.stringify(deleteInput)}`,
    };
  }
  const stamp = parseStamp(raw.encoded_output);
  return {
    ok: true,
    job: {
      input,
      output,
      created_at: createdAt,
      delete_input_on_success: deleteInput,
      ...(stamp ? { encoded_output: stamp } : {}),
      ...(typeof raw.note === "string" ? { note: raw.note } : {}),
    },
  };
}

/** Identity of the file at `path` (not following a symlink); `undefined` when missing. */
export async function stampOf(path: string): Promise<OutputStamp | undefined> {
  const info = await ifFound(Deno.lstat(path));
  if (!info || !info.isFile || info.dev === null || info.ino === null) return undefined;
  return { dev: info.dev, ino: info.ino, size: info.size, mtime_ms: info.mtime?.getTime() ?? 0 };
}

/**
 * Journals in the claimed job file that the verified file `stamp` is about to become the job's
 * output (atomic rewrite, so a crash leaves either version). Returns the updated claim.
 */
export async function journalEncodedOutput(
  claim: ClaimedJob,
  stamp: OutputStamp,
): Promise<ClaimedJob> {
  const job = { ...claim.job, encoded_output: stamp };
  await writeJsonAtomic(claim.path, job);
  return { ...claim, job };
}

/**
 * Lists the queue without changing anything, so `status` may call it at any time. Unreadable
 * files are listed apart (`invalid`, `too_young`), never as jobs.
 */
export async function listQueue(queueDir: string, now = new Date()): Promise<QueueListing> {
  const running = (await readJobFiles(runningDir(queueDir), isPendingName))
    .filter((entry) => entry.parsed.ok)
    .map((entry) => ({ ...(entry.parsed as { job: EncodeJob }).job, path: entry.path }))
    .sort(compareJobs)
    .map((job) => ({ ...job, running: true }));
  const pendingFiles = await readJobFiles(jobsDir(queueDir), isPendingName);
  const pending = pendingFiles
    .filter((entry) => entry.parsed.ok)
    .map((entry) => ({ ...(entry.parsed as { job: EncodeJob }).job, path: entry.path }))
    .sort(compareJobs);
  const failed: QueuedJob[] = [];
  for (const entry of await readJobFiles(jobsDir(queueDir), (n) => n.endsWith(FAILED_SUFFIX))) {
    if (!entry.parsed.ok) continue;
    const error = await readFailureReason(sidecarPath(entry.path));
    failed.push({ ...entry.parsed.job, path: entry.path, ...(error ? { error } : {}) });
  }
  failed.sort(compareJobs);
  const bad = (entry: JobFileEntry): BadJobFile => ({
    path: entry.path,
    reason: entry.parsed.ok ? "moved aside" : entry.parsed.reason,
    modified_at: entry.mtime.toISOString(),
  });
  const unreadable = pendingFiles.filter((entry) => !entry.parsed.ok);
  const young = (entry: JobFileEntry) => now.getTime() - entry.mtime.getTime() < JOB_WRITE_GRACE_MS;
  const invalid = [
    ...(await readJobFiles(jobsDir(queueDir), (n) => n.endsWith(INVALID_SUFFIX))).map(bad),
    ...unreadable.filter((entry) => !young(entry)).map(bad),
  ];
  const tooYoung = unreadable.filter(young).map(bad);
  return { pending: [...running, ...pending], failed, invalid, too_young: tooYoung };
}

/** Number of job files waiting in `jobs/` (cheap: names only, no parsing), for status lines. */
export async function countPendingJobs(queueDir: string): Promise<number> {
  return (await listNames(jobsDir(queueDir))).filter(isPendingName).length;
}

/** A job file that {@link takeNextJob} moved aside, for logging. */
export interface InvalidJob {
  readonly path: string;
  readonly movedTo: string;
  readonly reason: string;
}

/**
 * Claims the next job to run by renaming it into `running/`. Must be called only by the holder
 * of the encoder lock. Corrupt files are moved aside (`*.invalid.json`) and reported through
 * `onInvalid`; a file that fails to parse but changed within `graceMs` is skipped this time, in
 * case a tool that does not write atomically is still writing it.
 */
export async function takeNextJob(
  queueDir: string,
  options: { now: Date; graceMs?: number; onInvalid?: (invalid: InvalidJob) => void },
): Promise<ClaimedJob | undefined> {
  const graceMs = options.graceMs ?? JOB_WRITE_GRACE_MS;
  const entries = await readJobFiles(jobsDir(queueDir), isPendingName);
  const valid: { job: QueuedJob; name: string }[] = [];
  for (const entry of entries) {
    if (entry.parsed.ok) {
      valid.push({ job: { ...entry.parsed.job, path: entry.path }, name: entry.name });
      continue;
    }
    if (options.now.getTime() - entry.mtime.getTime() < graceMs) continue;
    const movedTo = await moveAside(entry.path, INVALID_SUFFIX);
    if (movedTo) options.onInvalid?.({ path: entry.path, movedTo, reason: entry.parsed.reason });
  }
  valid.sort((a, b) => compareJobs(a.job, b.job));
  await ensurePrivateDir(runningDir(queueDir));
  for (const { job, name } of valid) {
    const claimed = join(runningDir(queueDir), name);
    if (!(await ifFound(Deno.rename(job.path, claimed).then(() => true)))) continue;
    await syncDirectory(runningDir(queueDir));
    await syncDirectory(jobsDir(queueDir));
    const { path: _path, ...plain } = job;
    return { job: plain, path: claimed, name, queueDir };
  }
  return undefined;
}

/**
 * Moves every claimed job back to `jobs/` (start-up recovery after a crash or kill -9); only
 * the lock holder may call it. Returns the jobs recovered so their partial outputs can go.
 */
export async function recoverClaimedJobs(queueDir: string): Promise<QueuedJob[]> {
  const recovered: QueuedJob[] = [];
  const entries = await readJobFiles(runningDir(queueDir), () => true);
  if (entries.length === 0) return recovered;
  await ensurePrivateDir(jobsDir(queueDir));
  for (const entry of entries) {
    const target = await freeJobName(jobsDir(queueDir), entry.name);
    await Deno.rename(entry.path, target);
    if (entry.parsed.ok) recovered.push({ ...entry.parsed.job, path: target });
  }
  await syncDirectory(jobsDir(queueDir));
  await syncDirectory(runningDir(queueDir));
  return recovered;
}

/** Puts a claimed job back in `jobs/` unchanged (shutdown mid-encode): it runs again later. */
export async function releaseJob(claim: ClaimedJob): Promise<string> {
  await ensurePrivateDir(jobsDir(claim.queueDir));
  const target = await freeJobName(jobsDir(claim.queueDir), claim.name);
  await Deno.rename(claim.path, target);
  await syncDirectory(jobsDir(claim.queueDir));
  return target;
}

/** Removes a claimed job after success. */
export async function completeJob(claim: ClaimedJob): Promise<void> {
  await removeIfExists(claim.path);
  await syncDirectory(runningDir(claim.queueDir));
}

/**
 * Marks a claimed job failed: `jobs/<stem>.failed.json` plus a `<stem>.error.json` sidecar with
 * the reason, so the user can read why and re-queue it by renaming it back. Returns the path.
 */
export async function failJob(claim: ClaimedJob, reason: string, now: Date): Promise<string> {
  const dir = jobsDir(claim.queueDir);
  await ensurePrivateDir(dir);
  const target = await freeJobName(dir, stemOf(claim.name) + FAILED_SUFFIX);
  await writeJsonAtomic(sidecarPath(target), {
    error: reason,
    failed_at: now.toISOString(),
    job: basename(target),
  });
  await Deno.rename(claim.path, target);
  await syncDirectory(dir);
  return target;
}

/** Removes failed jobs (and their sidecars) that failed more than `maxAgeMs` ago; returns them. */
export async function purgeFailedJobs(
  queueDir: string,
  now: Date,
  maxAgeMs = 7 * 24 * 3600 * 1000,
): Promise<string[]> {
  const removed: string[] = [];
  const dir = jobsDir(queueDir);
  for (const name of await listNames(dir)) {
    if (!name.endsWith(FAILED_SUFFIX)) continue;
    const path = join(dir, name);
    const failedAt = await failureTime(path);
    if (failedAt === undefined || now.getTime() - failedAt < maxAgeMs) continue;
    await removeIfExists(sidecarPath(path));
    if (await removeIfExists(path)) removed.push(path);
  }
  return removed;
}

/** Oldest first by `created_at`, then by file name. */
function compareJobs(a: QueuedJob, b: QueuedJob): number {
  const byTime = Date.parse(a.created_at) - Date.parse(b.created_at);
  if (byTime !== 0 && Number.isFinite(byTime)) return byTime;
  const nameA = basename(a.path);
  const nameB = basename(b.path);
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

function parseStamp(value: unknown): OutputStamp | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  const fields = [raw.dev, raw.ino, raw.size, raw.mtime_ms];
  if (!fields.every((field) => typeof field === "number" && Number.isFinite(field))) {
    return undefined;
  }
  const [dev, ino, size, mtime_ms] = fields as number[];
  return { dev: dev!, ino: ino!, size: size!, mtime_ms: mtime_ms! };
}

function parseCreatedAt(value: unknown, fallback: Date): string | undefined {
  if (value === undefined || value === null) return fallback.toISOString();
  if (typeof value === "number" && Number.isFinite(value)) {
    // The original tool wrote `time.time()`: seconds since the epoch.
    return new Date(value < 1e11 ? value * 1000 : value).toISOString();
  }
  if (typeof value === "string" && Number.isFinite(Date.parse(value))) {
    return new Date(Date.parse(value)).toISOString();
  }
  return undefined;
}

function isPendingName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") &&
    !SPECIAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

function stemOf(name: string): string {
  return name.replace(/\.json$/, "");
}

function sidecarPath(failedPath: string): string {
  return failedPath.slice(0, -FAILED_SUFFIX.length) + ERROR_SUFFIX;
}

interface JobFileEntry {
  readonly name: string;
  readonly path: string;
  readonly mtime: Date;
  readonly parsed: ParsedJob;
}

async function readJobFiles(
  dir: string,
  accept: (name: string) => boolean,
): Promise<JobFileEntry[]> {
  const entries: JobFileEntry[] = [];
  for (const name of await listNames(dir)) {
    if (!accept(name)) continue;
    const path = join(dir, name);
    let text: string;
    let mtime: Date;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) continue;
      mtime = info.mtime ?? new Date(0);
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    entries.push({ name, path, mtime, parsed: parseJob(text, mtime) });
  }
  return entries;
}

/** Renames `path` to `<stem><suffix>` (unique); `undefined` if it vanished meanwhile. */
async function moveAside(path: string, suffix: string): Promise<string | undefined> {
  const dir = join(path, "..");
  const target = await freeJobName(dir, stemOf(basename(path)) + suffix);
  if (!(await ifFound(Deno.rename(path, target).then(() => true)))) return undefined;
  await syncDirectory(dir);
  return target;
}

/** `dir/name`, or `dir/<stem>-N<ext>` when taken, keeping a `.failed.json`-like ending whole. */
function freeJobName(dir: string, name: string): Promise<string> {
  const ending = /(?:\.(?:invalid|failed|error))?\.json$/.exec(name)?.[0] ?? "";
  return freeName(dir, name, { ending });
}

async function readFailureReason(path: string): Promise<string | undefined> {
  try {
    const value = await readJsonFile(path);
    if (
      value && typeof value === "object" && typeof (value as { error?: unknown }).error === "string"
    ) {
      return (value as { error: string }).error;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

async function failureTime(failedPath: string): Promise<number | undefined> {
  try {
    const value = await readJsonFile(sidecarPath(failedPath));
    const stamp = (value as { failed_at?: unknown } | undefined)?.failed_at;
    if (typeof stamp === "string" && Number.isFinite(Date.parse(stamp))) return Date.parse(stamp);
  } catch {
    // Unreadable sidecar: fall back to the job file's mtime.
  }
  try {
    return (await Deno.stat(failedPath)).mtime?.getTime();
  } catch {
    return undefined;
  }
}
