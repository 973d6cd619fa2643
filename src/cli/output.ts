/**
 * What a command prints, as opposed to what it logs: whole writes to stdout, the terminal's width
 * and whether it takes colours, and tables that fit it. Kept apart from `context.ts` (the config a
 * command runs with) so the log sinks (`logging.ts`) can write through {@link writeText} without an
 * import circle.
 */
import Table from "cli-table3";
import { columnWidths, fitCell } from "./table_layout.ts";

/** Writes all of `text` synchronously, so nothing is lost when `main` exits right after. */
export function writeText(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** Writes command output (not logs) to stdout. */
export function printLine(text = ""): void {
  writeText(Deno.stdout, text + "\n");
}

/**
 * Whether output to `stream` may carry ANSI styles: a terminal and no `NO_COLOR`. Deno reads
 * `NO_COLOR` at start-up, so this needs no env permission (unlike commander's own check).
 */
export function colorsOn(stream: { isTerminal(): boolean }): boolean {
  return stream.isTerminal() && !Deno.noColor;
}

/** Columns of the terminal behind stdout/stderr; 80 when piped (help text; tables use no limit). */
export function terminalWidth(stream: { isTerminal(): boolean }): number {
  if (!stream.isTerminal()) return 80;
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** Columns a table on stdout may take: the terminal's width, no limit in a pipe. */
export function tableLimit(): number {
  return Deno.stdout.isTerminal() ? terminalWidth(Deno.stdout) : Infinity;
}

/**
 * A table for command output. On a terminal it is as wide as the terminal at most: the widest
 * columns give way first, paths lose their middle and text wraps between words
 * (table_layout.ts); cli-table3 itself never wraps, so no escape code or word is ever split.
 * Piped, nothing is narrowed: a pipe has no width to respect. cli-table3's own styling is off:
 * it loads its colour module once per styled cell, which made `status` on a terminal 3x
 * slower; a bold header on terminals costs nothing.
 */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = columnWidths(head, cells, tableLimit());
  const bold = colorsOn(Deno.stdout);
  const table = new Table({
    head: bold ? head.map((title) => `\x1b[1m${title}\x1b[22m`) : head,
    style: { head: [], border: [] },
    wordWrap: false,
  });
  table.push(...cells.map((row) => row.map((cell, column) => fitCell(cell, widths[column]!))));
  return table.toString();
}
