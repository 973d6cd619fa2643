import { basename, dirname, extname, join } from "node:path";

/**
 * Writes `path` so that a reader sees either the old file or the complete new one, never a
 * half-written file: temp file in the same folder, fsync, rename over, fsync the folder.
 * On any failure (disk full included) the temp file is removed and the old file is untouched.
 * New files are 0600 unless `mode` says otherwise: state, manifests and jobs are nobody else's
 * business (they name channels, pids and paths).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return writeFileAtomicWith(path, (write) => write(bytes), options);
}

/**
 * {@link writeFileAtomic} for a file written piece by piece (`produce` calls `write` as often
 * as it likes), so a large file never has to be held in memory whole.
 */
export async function writeFileAtomicWith(
  path: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  const file = await Deno.open(temp, { write: true, createNew: true, mode: options.mode ?? 0o600 });
  try {
    await produce(async (bytes) => {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
    });
    await file.sync();
    file.close();
    await Deno.rename(temp, path);
  } catch (error) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** {@link writeFileAtomic} for a JSON document (pretty, newline-terminated). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Makes a rename/unlink in `dir` durable; best effort where the filesystem refuses. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // Some filesystems cannot fsync a directory; the rename itself is still atomic.
  }
}

/**
 * What `operation` (a file-system call on one path) gives, or undefined when the path does not
 * exist; any other failure is thrown. The one place "missing is fine" is decided.
 */
export async function ifFound<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Reads and parses a JSON file; `undefined` when it does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await ifFound(Deno.readTextFile(path));
  return text === undefined ? undefined : JSON.parse(text);
}

/** A folder's entries sorted by name; none when the folder does not exist. */
export async function listDirEntries(dir: string): Promise<Deno.DirEntry[]> {
  const entries = await ifFound(Array.fromAsync(Deno.readDir(dir))) ?? [];
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names in `dir`, sorted; none when the folder does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  return (await listDirEntries(dir)).map((entry) => entry.name);
}

/** What `path` names (links followed), or undefined when nothing is there. */
export function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  return ifFound(Deno.stat(path));
}

/**
 * `dir/name`, or `dir/<stem>-N<ending>` for the first N that is neither on disk nor `planned`:
 * never overwrite. `ending` is what stays last (default: the name's extension).
 */
export async function freeName(
  dir: string,
  name: string,
  options: { ending?: string; planned?: ReadonlySet<string> } = {},
): Promise<string> {
  const ending = options.ending ?? extname(name);
  const stem = name.endsWith(ending) ? name.slice(0, name.length - ending.length) : name;
  for (let n = 0;; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ending}`);
    if (!options.planned?.has(candidate) && !(await pathExists(candidate))) return candidate;
  }
}

/** Whether anything (file, folder, dangling link) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  return (await ifFound(Deno.lstat(path))) !== undefined;
}

/**
 * Whether two paths name the same file (same device and inode, following symlinks and `..`):
 * a path string comparison cannot see an alias. False when either is missing.
 */
export async function isSameFile(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([a, b].map((path) => Deno.stat(path).catch(() => null)));
  return !!left && !!right && left.ino !== null && left.dev === right.dev &&
    left.ino === right.ino;
}

/**
 * Creates a folder only this user may enter (0700, as are parents it has to create), whatever
 * the umask; an existing folder of ours open to others is set to 0700 (the state, logs, queue
 * and session folders hold channel names, pids, paths and streamlink's output). For everything
 * under the state, runtime and queue dirs.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through the umask and leaves an existing folder as it was: set it.
  const info = await Deno.lstat(path);
  const uid = Deno.uid();
  if (info.isDirectory && (info.mode ?? 0) & 0o077 && (uid === null || info.uid === uid)) {
    await Deno.chmod(path, 0o700);
  }
}

/** Bytes in `path`; 0 when it is not there (yet) or cannot be read. */
export async function sizeOrZero(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

/** Removes a file, ignoring one that is already gone. */
export async function removeIfExists(path: string): Promise<boolean> {
  return (await ifFound(Deno.remove(path).then(() => true))) ?? false;
}
