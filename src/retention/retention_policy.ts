/**
 * Which recordings retention deletes, decided without touching anything (so `clean --retention
 * --dry-run` and the real run agree, and tests read the plan directly). Three opt-in rules, in
 * this order: broadcasts older than `max_age_days`; per channel, broadcasts beyond the newest
 * `keep_per_channel`; then, while free space is below `min_free`, more files: first originals
 * whose `_compressed.mp4` exists (the encode keeps the broadcast watchable), then everything
 * else, each time the oldest broadcast first. Protected files are never planned. How much a
 * deletion frees is not known beforehand (a file hard-linked elsewhere or still open frees
 * nothing), so {@link carryOut} goes on to the next candidate until the free space measured
 * after a deletion reaches `min_free`; a dry run can only estimate it.
 *
 * With uploads configured ({@link UploadFacts}), files whose upload is verified go first when
 * room is needed, and a file not uploaded yet is never deleted by any rule unless
 * `delete_unuploaded` allows it: the plan lists such files as `heldForUpload` so a run that
 * falls short can say why.
 */
import type { OwnRecording, ProtectedRecordings } from "../state/own_recordings.ts";
import { formatBytes } from "../util/disk_space.ts";

const DAY_MS = 86_400_000;

/** The `[retention]` settings; all unset means retention is off. */
export interface RetentionRules {
  readonly minFreeBytes: number | undefined;
  readonly maxAgeDays: number | undefined;
  readonly keepPerChannel: number | undefined;
  /**
   * One channel's `max_age_days` and `keep` (its `[channel.<login>]` table over the global
   * rules); absent means every channel follows the global ones.
   */
  readonly forChannel?: (user: string) => ChannelRules;
}

/** The two rules a `[channel.<login>]` table may change. */
export interface ChannelRules {
  readonly maxAgeDays: number | undefined;
  readonly keepPerChannel: number | undefined;
}

/** What retention knows of uploads (docs/uploads.md); absent while uploads are off. */
export interface UploadFacts {
  /** Paths whose upload arrived and was verified. */
  readonly uploaded: ReadonlySet<string>;
  /** `[retention] delete_unuploaded`: files not uploaded yet may go too (after the uploaded). */
  readonly deleteUnuploaded: boolean;
}

/** One planned deletion. */
export interface PlannedDeletion {
  readonly path: string;
  readonly bytes: number;
  readonly reason: string;
  /**
   * What deleting it is expected to free, for a dry run: nothing when the file has other hard
   * links. Only an estimate (a file still open frees nothing either): a real run measures.
   */
  readonly estimatedFree: number;
}

/** What retention would delete, before it knows what each deletion really frees. */
export interface RetentionPlan {
  /** Deleted whatever the free space (`max_age_days`, `keep_per_channel`). */
  readonly byRule: PlannedDeletion[];
  /** Then deleted one at a time, in this order, while free space is below `minFree`. */
  readonly forSpace: PlannedDeletion[];
  readonly minFree: number | undefined;
  /** Files a rule would delete but that wait for their upload. */
  readonly heldForUpload: readonly OwnRecording[];
  /** Files that could make room but wait for their upload (said when room falls short). */
  readonly heldForSpace: readonly OwnRecording[];
}

/** What carrying out a plan did. */
export interface RetentionOutcome {
  readonly deleted: PlannedDeletion[];
  /** Free bytes after the last deletion (as `remove` told). */
  readonly freeAfter: number;
  /** `min_free` is set and stays out of reach with every candidate gone. */
  readonly shortfall: boolean;
}

/** Whether a file must wait for its upload before any rule may delete it. */
function waitsForUpload(uploads: UploadFacts | undefined): (file: OwnRecording) => boolean {
  if (!uploads || uploads.deleteUnuploaded) return () => false;
  return (file) => !uploads.uploaded.has(file.path);
}

/** Whether any rule is set (`channels`: the users whose tables may set their own). */
export function retentionEnabled(rules: RetentionRules, channels: readonly string[] = []): boolean {
  const set = (r: ChannelRules) => r.maxAgeDays !== undefined || r.keepPerChannel !== undefined;
  return rules.minFreeBytes !== undefined || set(rules) ||
    channels.some((user) => rules.forChannel && set(rules.forChannel(user)));
}

/** Plans deletions (see the module doc); the free space is only known while carrying it out. */
export function planRetention(
  files: readonly OwnRecording[],
  protect: ProtectedRecordings,
  rules: RetentionRules,
  now: number,
  uploads?: UploadFacts,
): RetentionPlan {
  const isProtected = (file: OwnRecording) =>
    protect.identities.has(file.identity) || protect.bases.has(file.base);
  const left = files.filter((file) => !isProtected(file));
  const waits = waitsForUpload(uploads);
  const byRule: PlannedDeletion[] = [];
  const heldByRule: OwnRecording[] = [];
  const take = (file: OwnRecording, reason: string) => {
    if (waits(file)) heldByRule.push(file);
    else byRule.push(planned(file, reason));
    left.splice(left.indexOf(file), 1);
  };
  const ruleOf = (user: string) => rules.forChannel?.(user) ?? rules;
  for (const file of oldestFirst(left)) {
    const days = ruleOf(file.user).maxAgeDays;
    if (days !== undefined && file.startedAt < now - days * DAY_MS) {
      take(file, `older than max_age_days ${days}`);
    }
  }
  for (const file of beyondNewest(files, left, (user) => ruleOf(user).keepPerChannel)) {
    take(file, `more than keep_per_channel ${ruleOf(file.user).keepPerChannel} for ${file.user}`);
  }
  const minFree = rules.minFreeBytes;
  const held = { heldForUpload: heldByRule, heldForSpace: left.filter(waits) };
  if (minFree === undefined) return { byRule, forSpace: [], minFree, ...held, heldForSpace: [] };
  const free = left.filter((file) => !waits(file));
  const stems = new Set(free.filter((f) => f.compressed).map((f) => f.stem));
  const encoded = (f: OwnRecording) => !f.compressed && stems.has(f.stem);
  const reason = `to keep ${formatBytes(minFree)} free`;
  // Uploaded files first (they live on at the remote), then the usual order.
  const isUploaded = (f: OwnRecording) => uploads?.uploaded.has(f.path) ?? false;
  const forSpace = [
    ...oldestFirst(free.filter(isUploaded)),
    ...oldestFirst(free.filter((f) => !isUploaded(f) && encoded(f))),
    ...oldestFirst(free.filter((f) => !isUploaded(f) && !encoded(f))),
  ].map((file) => planned(file, reason));
  return { byRule, forSpace, minFree, ...held };
}

/**
 * Carries out `plan` from `freeBefore` free bytes: every deletion by rule, then deletions for
 * space until the free space `remove` reports reaches `min_free`. `remove` deletes one file and
 * returns the free space measured afterwards, or undefined when the file was not deleted (a
 * dry run passes {@link estimateFree}). Trusting the measurement, not the file sizes, is what
 * makes a deletion that freed nothing (a hard link, an open file) lead to the next one.
 */
export async function carryOut(
  plan: RetentionPlan,
  freeBefore: number,
  remove: (deletion: PlannedDeletion, free: number) => Promise<number | undefined>,
): Promise<RetentionOutcome> {
  const deleted: PlannedDeletion[] = [];
  let free = freeBefore;
  const reachedGoal = () => plan.minFree === undefined || free >= plan.minFree;
  for (
    const [deletion, forSpace] of [
      ...plan.byRule.map((d) => [d, false] as const),
      ...plan.forSpace.map((d) => [d, true] as const),
    ]
  ) {
    if (forSpace && reachedGoal()) break;
    const after = await remove(deletion, free);
    if (after === undefined) continue;
    deleted.push(deletion);
    free = after;
  }
  return { deleted, freeAfter: free, shortfall: !reachedGoal() };
}

/** A dry run's `remove`: the free space it expects after `deletion`, deleting nothing. */
export function estimateFree(deletion: PlannedDeletion, free: number): Promise<number> {
  return Promise.resolve(free + deletion.estimatedFree);
}

function planned(file: OwnRecording, reason: string): PlannedDeletion {
  const estimatedFree = file.links > 1 ? 0 : file.bytes;
  return { path: file.path, bytes: file.bytes, reason, estimatedFree };
}

/** Oldest broadcast first; within one, originals before encodes, then by name. */
function oldestFirst(files: readonly OwnRecording[]): OwnRecording[] {
  return [...files].sort((a, b) =>
    a.startedAt - b.startedAt || Number(a.compressed) - Number(b.compressed) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}

/**
 * Files in `left` of broadcasts beyond each channel's newest `keep` (counted over all files,
 * protected ones included: a broadcast being encoded still counts as kept).
 */
function beyondNewest(
  all: readonly OwnRecording[],
  left: readonly OwnRecording[],
  keepOf: (user: string) => number | undefined,
): OwnRecording[] {
  const basesByUser = new Map<string, { base: string; startedAt: number }[]>();
  for (const file of all) {
    const bases = basesByUser.get(file.user) ?? [];
    if (!bases.some((b) => b.base === file.base)) bases.push(file);
    basesByUser.set(file.user, bases);
  }
  const dropped = new Set<string>();
  for (const [user, bases] of basesByUser) {
    const keep = keepOf(user);
    if (keep === undefined) continue;
    bases.sort((a, b) => b.startedAt - a.startedAt || (a.base < b.base ? 1 : -1));
    for (const old of bases.slice(keep)) dropped.add(old.base);
  }
  return oldestFirst(left.filter((file) => dropped.has(file.base)));
}
