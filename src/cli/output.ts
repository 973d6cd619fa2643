/**
 * What a command prints, as opposed to what it logs: whole writes to stdout, the terminal's width
 * and whether it takes colours, and tables that fit it. Kept apart from `context.ts` (the config a
 * command runs with) so the log sinks (`logging.ts`) can write through {@link writeText} without an
 * import circle. Tables are in `render_table.ts`: cli-table3 loads only for a command that prints
 * one, never for `record` or the daemons.
 */
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
