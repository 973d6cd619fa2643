/**
 * Which recordings retention deletes, decided without touching anything (so `clean --retention
 * --dry-run` and the real run agree, and tests read the plan directly). Three opt-in rules, in
 * this order: broadcasts older than `max_age_days`; per channel, broadcasts beyond the newest
 * `keep_per_channel`; then, while free space is below `min_free`, more files: first originals
 * whose `_compressed.mp4` exists (the encode keeps the broadcast watchable), then everything
 * else, each time the oldest broadcast first. Protected files are never planned.
 */
import type { OwnRecording } from "../state/own_recordings.ts";
import { formatBytes } from "../util/disk_space.ts";

const DAY_MS = 86_400_000;

/** The `[retention]` settings; all unset means retention is off. */
export interface RetentionRules {
  readonly minFreeBytes: number | undefined;
  readonly maxAgeDays: number | undefined;
  readonly keepPerChannel: number | undefined;
}

/** One planned deletion. */
export interface PlannedDeletion {
  readonly path: string;
  readonly bytes: number;
  readonly reason: string;
}

/** The plan and whether it reaches `min_free`. */
export interface RetentionPlan {
  readonly deletions: PlannedDeletion[];
  /** Free bytes expected once the plan ran. */
  readonly freeAfter: number;
  /** `min_free` is set and even deleting every candidate would not reach it. */
  readonly shortfall: boolean;
}

/** Whether any rule is set. */
export function retentionEnabled(rules: RetentionRules): boolean {
  return rules.minFreeBytes !== undefined || rules.maxAgeDays !== undefined ||
    rules.keepPerChannel !== undefined;
}

/** Plans deletions (see the module doc). */
export function planRetention(
  files: readonly OwnRecording[],
  protect: { paths: ReadonlySet<string>; bases: ReadonlySet<string> },
  rules: RetentionRules,
  freeBytes: number,
  now: number,
): RetentionPlan {
  const isProtected = (file: OwnRecording) =>
    protect.paths.has(file.path) || protect.bases.has(file.base);
  const left = files.filter((file) => !isProtected(file));
  const deletions: PlannedDeletion[] = [];
  const take = (file: OwnRecording, reason: string) => {
    deletions.push({ path: file.path, bytes: file.bytes, reason });
    left.splice(left.indexOf(file), 1);
  };
  if (rules.maxAgeDays !== undefined) {
    const limit = now - rules.maxAgeDays * DAY_MS;
    for (const file of oldestFirst(left).filter((f) => f.startedAt < limit)) {
      take(file, `older than max_age_days ${rules.maxAgeDays}`);
    }
  }
  if (rules.keepPerChannel !== undefined) {
    for (const file of beyondNewest(files, left, rules.keepPerChannel)) {
      take(file, `more than keep_per_channel ${rules.keepPerChannel} for ${file.user}`);
    }
  }
  let free = freeBytes + deletions.reduce((sum, d) => sum + d.bytes, 0);
  const minFree = rules.minFreeBytes;
  if (minFree !== undefined && free < minFree) {
    const stems = new Set(left.filter((f) => f.compressed).map((f) => f.stem));
    const encoded = (f: OwnRecording) => !f.compressed && stems.has(f.stem);
    const order = [
      ...oldestFirst(left.filter(encoded)),
      ...oldestFirst(left.filter((f) => !encoded(f))),
    ];
    for (const file of order) {
      if (free >= minFree) break;
      take(file, `to keep ${formatBytes(minFree)} free`);
      free += file.bytes;
    }
  }
  return { deletions, freeAfter: free, shortfall: minFree !== undefined && free < minFree };
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
  keep: number,
): OwnRecording[] {
  const basesByUser = new Map<string, { base: string; startedAt: number }[]>();
  for (const file of all) {
    const bases = basesByUser.get(file.user) ?? [];
    if (!bases.some((b) => b.base === file.base)) bases.push(file);
    basesByUser.set(file.user, bases);
  }
  const dropped = new Set<string>();
  for (const bases of basesByUser.values()) {
    bases.sort((a, b) => b.startedAt - a.startedAt || (a.base < b.base ? 1 : -1));
    for (const old of bases.slice(keep)) dropped.add(old.base);
  }
  return oldestFirst(left.filter((file) => dropped.has(file.base)));
}
