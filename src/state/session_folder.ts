/**
 * The session folder (`config.paths.tempDir`, resolved with the other paths in config): how
 * its files are named (parts, manifests), which sessions it holds and how much a session has
 * captured. The one owner of these names: the recorder writes them, `recover`, `status` and
 * the poller read them.
 */
import { basename, join } from "node:path";
import { USERNAME_CHARS } from "../util/is_valid_username.ts";
import { listDirEntries, readJsonFile, sizeOrZero } from "./atomic_write.ts";

const MANIFEST_SUFFIX = ".session.json";
const PART_NAME = /^(.+)_part(\d+)\.ts$/;
/** `<user>_<YYYY>-<MM>-<DD>_<hh>-<mm>-<ss>`, capturing the user and each date field. */
const BASE_NAME = new RegExp(
  `^(${USERNAME_CHARS})_(\\d{4})-(\\d\\d)-(\\d\\d)_(\\d\\d)-(\\d\\d)-(\\d\\d)$`,
);

/** `<user>_<YYYY-MM-DD_HH-MM-SS>` in local time: the stem of every file of one recording. */
export function sessionBase(username: string, startedAt: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const d = startedAt;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
  return `${username}_${date}_${time}`;
}

/** The channel a session base belongs to (lower case), or `undefined` for a foreign name. */
export function userOfBase(base: string): string | undefined {
  return BASE_NAME.exec(base)?.[1]?.toLowerCase();
}

/** The channel and local start time in a recording's file stem (`<user>_<date>_<time>`). */
export function parseSessionBase(stem: string): { user: string; startedAt: Date } | undefined {
  const match = BASE_NAME.exec(stem);
  if (!match) return undefined;
  const [, user, ...fields] = match;
  const [year, month, day, hour, minute, second] = fields.map(Number) as number[];
  return {
    user: user!,
    startedAt: new Date(year!, month! - 1, day!, hour!, minute!, second!),
  };
}

/** `<tempDir>/<base>_partNN.ts`, numbered from 1. */
export function partPath(tempDir: string, base: string, index: number): string {
  return join(tempDir, `${base}_part${String(index).padStart(2, "0")}.ts`);
}

/** The number of a part of session `base`, from its file name. */
export function partIndexOf(path: string, base: string): number | undefined {
  const parsed = PART_NAME.exec(basename(path));
  return parsed?.[1] === base && parsed[2] ? Number(parsed[2]) : undefined;
}

/** Path of a session's manifest. */
export function manifestPath(tempDir: string, base: string): string {
  return join(tempDir, `${base}${MANIFEST_SUFFIX}`);
}

/** Parts of `base`, sorted by number. */
export function sortParts(parts: string[], base: string): string[] {
  return parts.sort((a, b) => (partIndexOf(a, base) ?? 0) - (partIndexOf(b, base) ?? 0));
}

/** The files of a session folder: manifests, and parts grouped by session base (unsorted). */
export interface SessionFiles {
  readonly manifests: string[];
  readonly partsByBase: Map<string, string[]>;
}

/** Lists the session folder (empty when it does not exist). */
export async function listSessionFiles(tempDir: string): Promise<SessionFiles> {
  const manifests: string[] = [];
  const partsByBase = new Map<string, string[]>();
  for (const entry of await listDirEntries(tempDir)) {
    if (!entry.isFile) continue;
    if (entry.name.endsWith(MANIFEST_SUFFIX)) manifests.push(join(tempDir, entry.name));
    const base = PART_NAME.exec(entry.name)?.[1];
    if (base) partsByBase.set(base, [...(partsByBase.get(base) ?? []), join(tempDir, entry.name)]);
  }
  return { manifests, partsByBase };
}

/**
 * Bytes in the part files of `user`'s current session: the one whose manifest names the
 * recorder's `pid` (a poller hosts several, one per channel); without one (an older recorder,
 * or a manifest not written yet) the newest session of that user, by the timestamp in its
 * name. Read from disk, so `status` works for any recorder without talking to it.
 */
export async function capturedBytes(tempDir: string, user: string, pid: number): Promise<number> {
  const { manifests, partsByBase } = await listSessionFiles(tempDir);
  let base: string | undefined;
  for (const path of manifests) {
    const manifest = await readJsonFile(path).catch(() => undefined) as
      | { user?: unknown; pid?: unknown; base?: unknown }
      | undefined;
    if (manifest?.pid === pid && manifest.user === user && typeof manifest.base === "string") {
      base = manifest.base;
    }
  }
  base ??= [...partsByBase.keys()].filter((b) => userOfBase(b) === user).sort().at(-1);
  let total = 0;
  for (const part of base === undefined ? [] : partsByBase.get(base) ?? []) {
    total += await sizeOrZero(part);
  }
  return total;
}
