/**
 * The files in record_dir that twitchtool delivered itself, recognised by its own naming
 * pattern: `<user>_<YYYY-MM-DD>_<HH-MM-SS>[-N].mp4|.ts` (finalize; `-N` when the name was
 * taken) and `<same>_compressed.mp4` (the encoder). Anything else (another name, a folder, a
 * symbolic link, a hidden or temporary file) is not ours and never listed, so retention can
 * never delete it. Also lists what must not be touched: files named by pending or running
 * encode jobs, and files of sessions still in the session folder. Those are told by the file
 * itself (device and inode), never by the path string: a job may name its input through
 * `/./`, `..` or a symbolic link to record_dir.
 */
import { join } from "node:path";
import { listQueue } from "./job_queue.ts";
import { listDirEntries, readJsonFile } from "./atomic_write.ts";
import { listSessionFiles, parseSessionBase } from "./session_folder.ts";
import { USERNAME_CHARS } from "../util/is_valid_username.ts";

const OWN_NAME = new RegExp(
  `^(${USERNAME_CHARS}_\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d)(-\\d+)?(?:(_compressed)\\.mp4|\\.(?:mp4|ts))$`,
);

/** One delivered file. */
export interface OwnRecording {
  readonly path: string;
  /** Channel, lower case. */
  readonly user: string;
  /** `<user>_<date>_<time>`: the broadcast the file belongs to. */
  readonly base: string;
  /** When the recording started (from the name), ms since the epoch. */
  readonly startedAt: number;
  readonly bytes: number;
  /** Device and inode ({@link fileIdentity}): what protection compares. */
  readonly identity: string;
  /** Hard links to the file: with more than one, deleting this name frees nothing. */
  readonly links: number;
  /** An encoder output (`_compressed.mp4`). */
  readonly compressed: boolean;
  /** The stem its encode would have: `<base>[-N]`. */
  readonly stem: string;
}

/** twitchtool's own finished files in `recordDir` (not recursive). */
export async function listOwnRecordings(recordDir: string): Promise<OwnRecording[]> {
  const found: OwnRecording[] = [];
  for (const entry of await listDirEntries(recordDir)) {
    if (!entry.isFile || entry.isSymlink) continue;
    const match = OWN_NAME.exec(entry.name);
    const parsed = match ? parseSessionBase(match[1]!) : undefined;
    if (!match || !parsed) continue;
    const path = join(recordDir, entry.name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (!info?.isFile) continue;
    found.push({
      path,
      user: parsed.user.toLowerCase(),
      base: match[1]!,
      startedAt: parsed.startedAt.getTime(),
      bytes: info.size,
      identity: fileIdentity(info),
      links: info.nlink ?? 1,
      compressed: match[3] !== undefined,
      stem: match[1]! + (match[2] ?? ""),
    });
  }
  return found;
}

/** What nothing may delete: files by {@link fileIdentity}, and sessions by base. */
export interface ProtectedRecordings {
  readonly identities: ReadonlySet<string>;
  readonly bases: ReadonlySet<string>;
}

/**
 * `<device>:<inode>` of a file: equal for every path that reaches it (aliases through `/./`,
 * `..`, symbolic links or hard links), so a set of them answers "is this the same file".
 */
export function fileIdentity(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

/**
 * Files and session bases nothing may delete: inputs and outputs of pending and running encode
 * jobs, and every session whose manifest or parts are still in the session folder (capturing,
 * finalizing, or waiting for `recover`). A named path that does not exist protects nothing:
 * there is no file to delete.
 */
export async function protectedRecordings(
  queueDir: string,
  tempDir: string,
): Promise<ProtectedRecordings> {
  const queue = await listQueue(queueDir);
  const paths = queue.pending.flatMap((job) => [job.input, job.output]);
  const sessions = await listSessionFiles(tempDir);
  const bases = new Set(sessions.partsByBase.keys());
  for (const manifest of sessions.manifests) {
    const content = await readJsonFile(manifest).catch(() => undefined) as
      | { base?: unknown; delivered?: unknown }
      | undefined;
    if (typeof content?.base === "string") bases.add(content.base);
    if (Array.isArray(content?.delivered)) {
      for (const path of content.delivered) if (typeof path === "string") paths.push(path);
    }
  }
  return { identities: await identitiesOf(paths), bases };
}

/** Identities of the files at `paths` (following symbolic links); missing ones are skipped. */
async function identitiesOf(paths: readonly string[]): Promise<Set<string>> {
  const identities = new Set<string>();
  for (const path of new Set(paths)) {
    try {
      identities.add(fileIdentity(await Deno.stat(path)));
    } catch (error) {
      // Nothing there (or a path that cannot lead to a file): nothing to protect. Anything else
      // (a folder we may not read) fails the run rather than risk deleting the file.
      const { NotFound, NotADirectory, FilesystemLoop } = Deno.errors;
      if (![NotFound, NotADirectory, FilesystemLoop].some((kind) => error instanceof kind)) {
        throw error;
      }
    }
  }
  return identities;
}
