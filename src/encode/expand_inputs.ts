/**
 * Turns `tscompress` arguments into files: a file is taken as is, a folder is searched
 * recursively for `.ts` recordings, and a glob (quoted so the shell left it alone, or a shell
 * without globbing such as a systemd unit) is expanded. Arguments matching nothing are
 * reported rather than dropped, so the summary can say which input was wrong.
 */
import { join, resolve } from "node:path";
import { listNames, statOrUndefined } from "../state/atomic_write.ts";

/** Files to process, in argument order, and arguments that matched nothing. */
export interface ExpandedInputs {
  readonly files: string[];
  readonly missing: string[];
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Expands `args` relative to `cwd`; each file appears once, in first-seen order. */
export async function expandInputs(args: readonly string[], cwd: string): Promise<ExpandedInputs> {
  const files: string[] = [];
  const seen = new Set<string>();
  const missing: string[] = [];
  const add = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    files.push(path);
  };
  for (const arg of args) {
    const path = resolve(cwd, arg);
    const info = await statIfReadable(path);
    if (info?.isDirectory) {
      for (const file of await findRecordings(path)) add(file);
      continue;
    }
    if (info?.isFile) {
      add(path);
      continue;
    }
    if (GLOB_CHARS.test(arg)) {
      const matches = await expandGlob(path);
      for (const match of matches) add(match);
      if (matches.length > 0) continue;
    }
    missing.push(arg);
  }
  return { files, missing };
}

/**
 * Files matching an absolute glob: `*`, `?`, `[abc]`/`[!abc]`, `{a,b}` within one path segment
 * and `**` for any depth. Hidden names match only a pattern that starts with a dot. (Own code
 * because `node:fs` glob reads environment variables the narrow permissions do not grant.)
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  let current = ["/"];
  for (const part of pattern.split("/").filter((segment) => segment !== "")) {
    const next: string[] = [];
    for (const dir of current) {
      if (part === "**") {
        next.push(dir, ...(await subdirectories(dir)));
      } else if (!GLOB_CHARS.test(part)) {
        next.push(join(dir, part));
      } else {
        const matcher = segmentPattern(part);
        for (const name of await readableNames(dir)) {
          if (name.startsWith(".") && !part.startsWith(".")) continue;
          if (matcher.test(name)) next.push(join(dir, name));
        }
      }
    }
    current = [...new Set(next)];
  }
  const files: string[] = [];
  for (const path of current.sort()) {
    if ((await statIfReadable(path))?.isFile) files.push(path);
  }
  return files;
}

/** One path segment of a glob as an anchored regular expression. */
function segmentPattern(segment: string): RegExp {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] ?? "";
    if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        source += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else if (char === "{") {
      const close = segment.indexOf("}", i);
      if (close < 0) {
        source += "\\{";
        continue;
      }
      const options = segment.slice(i + 1, close).split(",").map(escapeRegExp);
      source += `(?:${options.join("|")})`;
      i = close;
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Names in `dir`; an unreadable folder counts as empty, like a missing one. */
function readableNames(dir: string): Promise<string[]> {
  return listNames(dir).catch(() => []);
}

/** What `path` names; nothing when it is missing or cannot be read (a glob goes on). */
function statIfReadable(path: string): Promise<Deno.FileInfo | undefined> {
  return statOrUndefined(path).catch(() => undefined);
}

async function subdirectories(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readableNames(dir)) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info?.isDirectory) found.push(path, ...(await subdirectories(path)));
  }
  return found;
}

/** `.ts` files under `dir`, sorted, skipping hidden files and folders (temporary outputs). */
async function findRecordings(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(current)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.toLowerCase().endsWith(".ts")) found.push(path);
    }
  };
  await walk(dir);
  return found;
}
