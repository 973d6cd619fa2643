/**
 * One file per subcommand, loaded lazily by `program.ts` once the role's permissions are dropped:
 * turn the options into a call of the core and its outcome into output and an exit code.
 *
 * Must not import: another subcommand's file (what two share, like `finished_output.ts`, is a
 * helper here, not a command); spawn nothing itself.
 *
 * @module
 */
