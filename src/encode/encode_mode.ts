/**
 * `encode-mode on|off`: flips `record.enable_remux` (remux recordings to .mp4 and queue an
 * encode job) in the user's config file. The file is edited as text, one line, so every other
 * line, comment and blank stays exactly as the user wrote it; a TOML round trip would lose
 * them. The edited text is parsed again before it is written, so an unusual layout (an inline
 * table, a multi-line string) fails loudly instead of being corrupted.
 */
import { parse as parseToml } from "smol-toml";
import { dirname } from "node:path";
import { ConfigError } from "../errors.ts";
import { writeFileAtomic } from "../state/atomic_write.ts";

const SECTION = "record";
const KEY = "enable_remux";
const ANY_HEADER = /^\s*\[/;
const SECTION_HEADER = /^\s*\[\s*(?:record|"record"|'record')\s*\]\s*(?:#.*)?$/;
const KEY_LINE =
  /^(\s*(?:enable_remux|"enable_remux"|'enable_remux')\s*=\s*)(true|false)(\s*(?:#.*)?)$/;
const DOTTED_KEY_LINE =
  /^(\s*(?:record|"record")\s*\.\s*(?:enable_remux|"enable_remux")\s*=\s*)(true|false)(\s*(?:#.*)?)$/;

/**
 * Returns `text` with `record.enable_remux` set to `value`: the existing line's value replaced
 * (indentation and trailing comment kept), else a line added to the `[record]` table, else a
 * `[record]` table appended. Line endings (LF or CRLF) are preserved.
 */
export function setEnableRemux(text: string, value: boolean): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const replace = (index: number, pattern: RegExp): boolean => {
    const match = pattern.exec(lines[index] ?? "");
    if (!match) return false;
    lines[index] = `${match[1]}${value}${match[3]}`;
    return true;
  };
  const firstHeader = lines.findIndex((line) => ANY_HEADER.test(line));
  const topEnd = firstHeader < 0 ? lines.length : firstHeader;
  for (let i = 0; i < topEnd; i++) {
    if (replace(i, DOTTED_KEY_LINE)) return lines.join(eol);
  }
  const header = lines.findIndex((line) => SECTION_HEADER.test(line));
  if (header >= 0) {
    let end = lines.findIndex((line, i) => i > header && ANY_HEADER.test(line));
    if (end < 0) end = lines.length;
    let lastSetting = header;
    for (let i = header + 1; i < end; i++) {
      if (replace(i, KEY_LINE)) return lines.join(eol);
      const trimmed = lines[i]?.trim() ?? "";
      if (trimmed !== "" && !trimmed.startsWith("#")) lastSetting = i;
    }
    lines.splice(lastSetting + 1, 0, `${KEY} = ${value}`);
    return lines.join(eol);
  }
  const body = text === "" || /\r?\n$/.test(text) ? text : text + eol;
  const gap = body.trim() === "" ? "" : eol;
  return `${body}${gap}[${SECTION}]${eol}${KEY} = ${value}${eol}`;
}

/** `record.enable_remux` as written in `text`, or `undefined` when the file does not set it. */
export function readEnableRemux(text: string, path: string): boolean | undefined {
  const value = parseConfigText(text, path)[SECTION];
  if (typeof value !== "object" || value === null) return undefined;
  const flag = (value as Record<string, unknown>)[KEY];
  return typeof flag === "boolean" ? flag : undefined;
}

/** What {@link writeEncodeMode} did. */
export interface EncodeModeChange {
  /** The file written (the symlink target when the config is a symlink). */
  readonly path: string;
  readonly created: boolean;
  readonly changed: boolean;
}

/**
 * Sets `record.enable_remux` in the config file at `path`, creating it (mode 0600, it may
 * later hold tokens) when missing. Writes atomically and keeps the file's mode; a symlinked
 * config (dotfile managers) is edited at its target rather than replaced by a plain file.
 */
export async function writeEncodeMode(path: string, value: boolean): Promise<EncodeModeChange> {
  let target = path;
  let text = "";
  let mode = 0o600;
  let created = false;
  try {
    target = await Deno.realPath(path);
    text = await Deno.readTextFile(target);
    mode = ((await Deno.stat(target)).mode ?? 0o600) & 0o777;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new ConfigError(`Cannot read config "${path}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    created = true;
    await Deno.mkdir(dirname(target), { recursive: true });
  }
  parseConfigText(text, target);
  const updated = setEnableRemux(text, value);
  if (!hasValue(updated, target, value)) {
    throw new ConfigError(
      `Cannot set "${SECTION}.${KEY}" in config "${target}": its layout is unusual, edit it by hand`,
    );
  }
  if (updated === text && !created) return { path: target, created, changed: false };
  await writeFileAtomic(target, updated, { mode });
  return { path: target, created, changed: true };
}

/** Whether `text` parses and sets the key to `value`: the edit did what it meant to. */
function hasValue(text: string, path: string, value: boolean): boolean {
  try {
    return readEnableRemux(text, path) === value;
  } catch {
    return false;
  }
}

function parseConfigText(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(
      `Cannot parse config "${path}": ${(error as Error).message.split("\n")[0]}`,
      { cause: error },
    );
  }
}
