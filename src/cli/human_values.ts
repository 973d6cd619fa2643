/**
 * Values as a person reads them in tables at 80 columns: local times instead of UTC ISO
 * stamps, paths relative to the folder the table is about. `--json` keeps the full values.
 */
import { relative, sep } from "node:path";

/** `14:03` for today, `2024-05-01 14:03` otherwise, in local time; the input when unparsable. */
export function localTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "?";
  const pad = (value: number) => String(value).padStart(2, "0");
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return day === today ? clock : `${day} ${clock}`;
}

/** `path` relative to the first of `dirs` that holds it, else unchanged. */
export function shortPath(path: string, ...dirs: string[]): string {
  for (const dir of dirs) {
    const inside = relative(dir, path);
    if (inside && !inside.startsWith("..") && !inside.startsWith(sep)) return inside;
  }
  return path;
}
