/**
 * Markdown tables for the pages `deno task docs` writes, padded the way `deno fmt` pads them so
 * a generated page passes `deno fmt --check` as it is written.
 */

/** `rows[0]` is the header; a `|` in a cell is escaped so it cannot split the cell. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map((cell) => cell.replaceAll("|", "\\|")));
  const widths = cells[0]!.map((_, column) =>
    Math.max(3, ...cells.map((row) => [...row[column]!].length))
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  const rule = `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}
