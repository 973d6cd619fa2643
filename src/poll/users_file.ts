/**
 * The users file: the channels the poller watches, one per line. `#` starts a comment (a whole
 * line or the end of one), blank lines are ignored, names compare case-insensitively. Parsing
 * and editing are pure so both the poller (which re-reads it every cycle) and `twitchtool users`
 * (which rewrites it) agree on what a line means, and edits keep the operator's comments.
 *
 * Edits are a read-modify-write, so two `users add` at once would each write their own version
 * and one addition would be lost: {@link editUsersFile} holds an exclusive lock on the folder
 * that holds the users file. Not on the file itself: each write renames a new file over it, so
 * a waiter would wake up holding the lock of a file nobody reads any more; and not on a lock
 * file beside it, which would be litter in the operator's config folder.
 *
 * Edits work on the file's bytes, not decoded text: every byte is mapped to one char (latin1),
 * so bytes that are not UTF-8 survive an edit unchanged; names and the syntax (`#`, whitespace,
 * newlines) are ASCII, so nothing else changes meaning.
 */
import { constants, open } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors.ts";
import { isValidUsername } from "../util/is_valid_username.ts";
import { writeFileAtomic } from "../state/atomic_write.ts";
import { FileLock } from "../state/file_lock.ts";

/** A line that holds something other than a valid channel name. */
export interface InvalidEntry {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
}

/** What a users file says. */
export interface UsersList {
  /** Valid channels, lower-case, in file order, first occurrence wins. */
  readonly users: string[];
  readonly invalid: InvalidEntry[];
}

/**
 * The name a line holds: text before any `#`, without ASCII whitespace around it; empty for
 * blank/comment lines. Only ASCII whitespace is trimmed so a line means the same whether it was
 * decoded as UTF-8 (the poller) or byte by byte (edits).
 */
export function lineEntry(line: string): string {
  const hash = line.indexOf("#");
  return (hash >= 0 ? line.slice(0, hash) : line).replace(/^[ \t\r\f\v]+|[ \t\r\f\v]+$/g, "");
}

/** Parses users-file text. */
export function parseUsersFile(text: string): UsersList {
  const users: string[] = [];
  const invalid: InvalidEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = lineEntry(line);
    if (!entry) return;
    if (!isValidUsername(entry)) {
      invalid.push({ line: index + 1, text: entry });
      return;
    }
    const name = entry.toLowerCase();
    if (seen.has(name)) return;
    seen.add(name);
    users.push(name);
  });
  return { users, invalid };
}

/** The largest users file read: ~70,000 names, far more than any poller could watch. */
export const USERS_FILE_MAX_BYTES = 1024 * 1024;

/**
 * Reads and parses the users file; a missing file is `undefined` so callers can say so. Only a
 * regular file of at most {@link USERS_FILE_MAX_BYTES} is read (see {@link readUsersBytes}).
 */
export async function readUsersFile(path: string): Promise<UsersList | undefined> {
  const bytes = await readUsersBytes(path);
  return bytes === undefined ? undefined : parseUsersFile(new TextDecoder().decode(bytes));
}

/**
 * The users file's bytes, or `undefined` when it does not exist. The poller re-reads the file
 * every cycle, so what it opens must never hang it or eat its memory: the file is opened
 * non-blocking (a FIFO would otherwise block the open until a writer comes, and no SIGTERM
 * could end the wait), then checked through the open descriptor (no race with a rename) to be a
 * regular file (not a FIFO, socket or device such as `/dev/zero`) of at most `maxBytes`, and at
 * most `maxBytes` are read even if it grows meanwhile.
 */
export async function readUsersBytes(
  path: string,
  maxBytes = USERS_FILE_MAX_BYTES,
): Promise<Uint8Array | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new UsersFileError(`Cannot read users file "${path}": ${describeKind(info)}`);
    }
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(path, length, maxBytes);
    return buffer.slice(0, length);
  } finally {
    await handle.close();
  }
}

/** The users file cannot be used as it is (not a regular file, or too large). */
export class UsersFileError extends UsageError {}

function tooLarge(path: string, size: number, maxBytes: number): UsersFileError {
  return new UsersFileError(
    `Cannot read users file "${path}": it is larger than the ${
      maxBytes / 1024 / 1024
    } MiB limit for a users file (${size} bytes or more)`,
  );
}

function describeKind(info: { isFIFO(): boolean; isDirectory(): boolean }): string {
  if (info.isFIFO()) return "it is a FIFO, not a regular file";
  if (info.isDirectory()) return "it is a folder, not a regular file";
  return "it is not a regular file (a device or socket)";
}

/** Result of {@link addUsers}. */
export interface AddResult {
  readonly text: string;
  /** Names appended, lower-case. */
  readonly added: string[];
  /** Names that were already listed (any case) or repeated in the request. */
  readonly present: string[];
}

/**
 * Appends channels not already listed, keeping every existing line (comments included) as is.
 * Rejects the whole request when any name is invalid, so a typo never half-applies.
 */
export function addUsers(text: string, names: readonly string[]): AddResult {
  const bad = names.filter((name) => !isValidUsername(name));
  if (bad.length > 0) {
    throw new UsageError(
      `Invalid username ${
        bad.map((name) => JSON.stringify(name)).join(", ")
      }: expected 3-25 letters, digits or underscores; nothing changed`,
    );
  }
  const listed = new Set(parseUsersFile(text).users);
  const added: string[] = [];
  const present: string[] = [];
  for (const name of names.map((n) => n.toLowerCase())) {
    if (listed.has(name)) {
      present.push(name);
      continue;
    }
    listed.add(name);
    added.push(name);
  }
  if (added.length === 0) return { text, added, present };
  const base = text === "" || text.endsWith("\n") ? text : text + "\n";
  return { text: base + added.map((name) => name + "\n").join(""), added, present };
}

/** Result of {@link removeUsers}. */
export interface RemoveResult {
  readonly text: string;
  /** Names whose lines were removed, as asked. */
  readonly removed: string[];
  /** Names not found in the file. */
  readonly missing: string[];
}

/**
 * Removes every line whose entry matches one of `names` case-insensitively (an invalid entry
 * can be removed too, by its exact text). Comments and other lines stay where they were.
 */
export function removeUsers(text: string, names: readonly string[]): RemoveResult {
  const wanted = new Map(names.map((name) => [name.trim().toLowerCase(), name]));
  const found = new Set<string>();
  const kept = text.split("\n").filter((line) => {
    const key = lineEntry(line).toLowerCase();
    if (!key || !wanted.has(key)) return true;
    found.add(key);
    return false;
  });
  const removed = [...wanted].filter(([key]) => found.has(key)).map(([, name]) => name);
  const missing = [...wanted].filter(([key]) => !found.has(key)).map(([, name]) => name);
  return { text: found.size > 0 ? kept.join("\n") : text, removed, missing };
}

/**
 * Applies an edit to the users file and writes it atomically (the poller may read it at any
 * moment), holding the edit lock from the read to the rename so parallel edits all land. The
 * edit sees the file's bytes one char each (see the module doc). A missing file counts as empty
 * and is created only when the edit adds something (its folder always is: it carries the
 * lock); the old file's mode is kept.
 */
export async function editUsersFile<R extends { text: string }>(
  path: string,
  edit: (text: string) => R,
): Promise<R> {
  await Deno.mkdir(dirname(path), { recursive: true });
  using _lock = await FileLock.acquireExisting(dirname(path));
  const before = await readUsersBytes(path);
  const text = before === undefined ? "" : bytesToChars(before);
  const result = edit(text);
  if (result.text !== text) {
    const mode = await Deno.stat(path).then((info) => info.mode ?? undefined, () => undefined);
    await writeFileAtomic(
      path,
      charsToBytes(result.text),
      mode === undefined ? {} : { mode: mode & 0o777 },
    );
  }
  return result;
}

/** One char per byte (`TextDecoder("latin1")` would be windows-1252, which remaps 0x80-0x9f). */
function bytesToChars(bytes: Uint8Array): string {
  let text = "";
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

/** Inverse of {@link bytesToChars}; names added by an edit are ASCII. */
function charsToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}
