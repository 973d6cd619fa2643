/**
 * Tables for command output, apart from `output.ts` so that cli-table3 (an npm package with its
 * own dependencies) loads only for the commands that print a table (`status`, `history`, the
 * daemons' `status`), never for `record` or a daemon's `run`.
 */
import Table from "cli-table3";
import { colorsOn, terminalWidth } from "./output.ts";
import { columnWidths, fitCell } from "./table_layout.ts";

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
