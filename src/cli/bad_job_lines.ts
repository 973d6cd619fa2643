/**
 * The unreadable job files as tables, for `status` and `encode-daemon status`: apart from
 * `daemon_lines.ts` so that the daemons, which use those lines, never load cli-table3.
 */
import type { QueueView } from "../state/status_snapshot.ts";
import { localTime } from "./human_values.ts";
import { renderTable } from "./render_table.ts";

/** The unreadable job files as tables, with what to do about them (nothing when none). */
export function badJobLines(queue: QueueView, short: (path: string) => string): string[] {
  const lines: string[] = [];
  if (queue.invalid.length > 0) {
    lines.push("Invalid job files (never encoded; fix or delete them):");
    lines.push(renderTable(
      ["file", "reason"],
      queue.invalid.map((file) => [short(file.path), file.reason]),
    ));
  }
  if (queue.too_young.length > 0) {
    lines.push("Unreadable job files changed in the last seconds (maybe still being written):");
    lines.push(renderTable(
      ["file", "changed", "reason"],
      queue.too_young.map((file) => [short(file.path), localTime(file.modified_at), file.reason]),
    ));
  }
  return lines;
}
