/**
 * `[upload]` turned into what the queue and the worker need: whether uploads are on, which kinds
 * of files go, and where each lands under the remote (`path_template`).
 */
import { basename } from "node:path";
import type { Config } from "../config/config.ts";
import { enqueueUpload } from "../state/upload_queue.ts";

/** Uploads as configured; absent when `[upload] remote` is unset. */
export interface UploadSettings {
  readonly remote: string;
  readonly rcloneConfig?: string;
  readonly deleteLocal: boolean;
  readonly what: readonly string[];
  readonly pathTemplate: string;
  readonly extraArgs: readonly string[];
  /** This machine's name for `{host}`. */
  readonly host: string;
}

/** The upload settings of `config`, or `undefined` while uploads are off. */
export function uploadSettings(config: Config): UploadSettings | undefined {
  const upload = config.upload;
  if (upload.remote === undefined) return undefined;
  return {
    remote: upload.remote,
    ...(upload.rcloneConfig ? { rcloneConfig: upload.rcloneConfig } : {}),
    deleteLocal: upload.deleteLocal,
    what: upload.what,
    pathTemplate: upload.pathTemplate,
    extraArgs: upload.extraArgs,
    host: hostName(),
  };
}

/**
 * The machine's name: `/etc/hostname` (reading the kernel's own, `/proc/sys/kernel/hostname`,
 * or `Deno.hostname()` needs permissions the roles do not have); "localhost" without one.
 */
export function hostName(): string {
  try {
    return Deno.readTextFileSync("/etc/hostname").trim().split(".")[0] || "localhost";
  } catch {
    return "localhost";
  }
}

/** Which `[upload] what` kind a delivered file is. */
export function uploadKind(path: string): string {
  const name = basename(path);
  if (name.endsWith("_compressed.mp4")) return "compressed";
  if (name.endsWith(".chat.json")) return "chat";
  if (name.endsWith(".info.json")) return "info";
  return "recording";
}

/**
 * Where `local` goes under the remote: `path_template` with `{user}`, `{file}`, `{host}` and
 * `{date}` (the recording's day from its name, else `fallbackDate`'s) filled in.
 */
export function uploadDest(
  settings: Pick<UploadSettings, "pathTemplate" | "host">,
  local: string,
  user: string,
  fallbackDate: Date,
): string {
  const file = basename(local);
  const date = /_(\d{4}-\d\d-\d\d)_\d\d-\d\d-\d\d/.exec(file)?.[1] ??
    fallbackDate.toISOString().slice(0, 10);
  const values: Record<string, string> = { user, file, host: settings.host, date };
  return settings.pathTemplate.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);
}

/** The `remote:path` of `dest` under the remote. */
export function remoteFile(remote: string, dest: string): string {
  return remote.endsWith(":") || remote.endsWith("/") ? remote + dest : `${remote}/${dest}`;
}

/**
 * Queues the delivered `files` of `user` whose kind `[upload] what` names (each once, however
 * often this runs for them). Returns the files queued now.
 */
export async function queueUploads(
  settings: UploadSettings | undefined,
  queueDir: string,
  user: string,
  files: readonly string[],
  now: Date,
): Promise<string[]> {
  if (!settings) return [];
  const queued: string[] = [];
  for (const local of files) {
    const kind = uploadKind(local);
    if (!settings.what.includes(kind)) continue;
    const dest = uploadDest(settings, local, user, now);
    const item = { local, dest, user, kind, queued_at: now.toISOString() };
    if (await enqueueUpload(queueDir, item)) queued.push(local);
  }
  return queued;
}

/** The channel a recording's file belongs to, from its name (`<user>_<date>_<time>...`). */
export function userOfFile(path: string): string | undefined {
  return /^([A-Za-z0-9_]{3,25})_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d/.exec(basename(path))?.[1]
    ?.toLowerCase();
}
