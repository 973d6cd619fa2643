/**
 * Column widths and cell text for tables that read on any terminal. cli-table3's own wrapping
 * cut inside escape codes (a literal `[22m` on screen) and split headers and names mid-word;
 * here the text is fitted before cli-table3 draws it, so it never wraps anything itself.
 * Headers keep their full width, a path loses its middle (`/srv/rec…/alice_07-14-37.mp4`), text
 * wraps between words, and a word too long for its column ends in `…`. A pipe has no width:
 * its tables are never narrowed.
 */

/** The ellipsis that marks shortened text. */
export const ELLIPSIS = "…";

/**
 * Widths of the text inside each column (borders and padding excluded), the table at most
 * `limit` columns wide where it can be. Columns give way in this order: text that wraps between
 * words (no loss), then the widest columns down to 20, then down to their header (or 8). A
 * header is never cut; a table that still does not fit is left wider than `limit`.
 */
export function columnWidths(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  limit: number,
): number[] {
  const { widths, floors, lossless } = measure(head, rows);
  const total = () => tableWidth(widths);
  const stages = [
    (column: number) => lossless[column]!,
    (column: number) => Math.max(20, floors[column]!),
    (column: number) => floors[column]!,
  ];
  for (const minOf of stages) {
    while (total() > limit) {
      let widest = -1;
      widths.forEach((width, column) => {
        if (width > minOf(column) && (widest < 0 || width > widths[widest]!)) widest = column;
      });
      if (widest < 0) break;
      widths[widest]!--;
    }
  }
  return widths;
}

/**
 * Whether the table fits `limit` columns with every value whole (text may wrap between words):
 * for a column worth showing only when nothing else has to be shortened for it.
 */
export function fitsWhole(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  limit: number,
): boolean {
  return tableWidth(measure(head, rows).lossless) <= limit;
}

/** Each column's natural width, the width it may give way to, and its narrowest without loss. */
function measure(head: readonly string[], rows: readonly (readonly string[])[]) {
  const columnLines = head.map((_, column) => rows.flatMap((row) => lines(row[column] ?? "")));
  const widths = head.map((title, column) =>
    Math.max(title.length, ...columnLines[column]!.map((line) => line.length))
  );
  const floors = head.map((title, column) => Math.min(Math.max(title.length, 8), widths[column]!));
  const lossless = columnLines.map((all, column) =>
    Math.max(floors[column]!, ...all.map((line) => unbreakable(line)))
  );
  return { widths, floors, lossless };
}

/** A table's width: each column has a space of padding on both sides and a border on its right, plus the left. */
function tableWidth(widths: readonly number[]): number {
  return widths.reduce((sum, width) => sum + width + 3, 1);
}

/**
 * The narrowest a line goes without loss: its longest word; all of it for a path or a value
 * (a time, a size: it starts with a digit and reads badly over two lines).
 */
function unbreakable(line: string): number {
  if (isPathLike(line) || !line.includes(" ") || /^\d/.test(line)) return line.length;
  return Math.max(...line.split(" ").map((word) => word.length));
}

/** `text` fitted to `width` columns: each line kept, wrapped between words, or shortened. */
export function fitCell(text: string, width: number): string {
  return text.split("\n").flatMap((line) => fitLine(line, width)).join("\n");
}

function fitLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  if (isPathLike(line) || !line.includes(" ")) return [shorten(line, width)];
  const lines: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    const next = current ? `${current} ${word}` : word;
    if (next.length <= width) {
      current = next;
      continue;
    }
    if (current) lines.push(current);
    current = word.length <= width ? word : shorten(word, width);
  }
  if (current) lines.push(current);
  return lines;
}

/** A path loses its middle (the file name at the end says most); other words their end. */
export function shorten(word: string, width: number): string {
  if (word.length <= width) return word;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  if (!word.includes("/")) return word.slice(0, width - 1) + ELLIPSIS;
  const name = word.slice(word.lastIndexOf("/") + 1);
  // The whole file name when it fits with a little of the folder, else its last two thirds.
  if (name.length + 3 <= width) {
    return word.slice(0, width - 1 - name.length) + ELLIPSIS + name;
  }
  const tail = Math.ceil((width - 1) * 2 / 3);
  const head = width - 1 - tail;
  return word.slice(0, head) + ELLIPSIS + word.slice(word.length - tail);
}

function isPathLike(line: string): boolean {
  return /^[~/.]/.test(line) && line.includes("/");
}

function lines(cell: string): string[] {
  return cell.split("\n");
}
