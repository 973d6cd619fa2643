/**
 * The command line: the commander tree declared once (`program.ts`), one file per subcommand in
 * `commands/` (options in, one call of the core, output out), what a command prints (tables, lines,
 * colours), the log sinks (`logging.ts`, configured only from `main.ts`), `doctor`'s checks and
 * shell completions.
 *
 * Must not import: any room may be imported here; the rule runs the other way: nothing but
 * `main.ts` imports cli/, since a loop never parses argv and never prints a table.
 *
 * @module
 */
