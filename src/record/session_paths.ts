import { basename, join, resolve } from "node:path";

/**
 * Folder for in-progress parts: `<record_dir>/temp`, or `<record_dir>/TwitchTool/temp` when
 * record_dir is a bare `~/Videos` or `~/Downloads` (so we never litter those with `temp/`).
 */
export function tempDirFor(recordDir: string, home: string): string {
  const dir = resolve(recordDir);
  const bare = [join(home, "Videos"), join(home, "Downloads")].map((p) => resolve(p));
  return bare.includes(dir) ? join(dir, "TwitchTool", "temp") : join(dir, "temp");
}

/** `<user>_<YYYY-MM-DD_HH-MM-SS>` in local time: the stem of every file of one recording. */
export function sessionBase(username: string, startedAt: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const d = startedAt;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
  return `${username}_${date}_${time}`;
}

/** `<tempDir>/<base>_partNN.ts`, numbered from 1. */
export function partPath(tempDir: string, base: string, index: number): string {
  return join(tempDir, `${base}_part${String(index).padStart(2, "0")}.ts`);
}

/** Parts of a session sorted by number, from file names in `tempDir`. */
export function partIndexOf(path: string, base: string): number | undefined {
  const match = new RegExp(`^${escapeRegExp(base)}_part(\\d+)\\.ts$`).exec(basename(path));
  return match?.[1] ? Number(match[1]) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The channel and local start time in a recording's file stem (`<user>_<date>_<time>`). */
export function parseSessionBase(stem: string): { user: string; startedAt: Date } | undefined {
  const match = /^([A-Za-z0-9_]+)_(\d{4})-(\d\d)-(\d\d)_(\d\d)-(\d\d)-(\d\d)$/.exec(stem);
  if (!match) return undefined;
  const [, user, ...fields] = match;
  const [year, month, day, hour, minute, second] = fields.map(Number) as number[];
  return {
    user: user!,
    startedAt: new Date(year!, month! - 1, day!, hour!, minute!, second!),
  };
}
