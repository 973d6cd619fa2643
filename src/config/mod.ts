/**
 * The configuration: every key once in `schema.ts` (kind, default, environment variable, option,
 * doc), loading the TOML file, the environment and the flags into the typed `Config`, and where
 * each value came from for messages.
 *
 * Must not import: any other room but `errors.ts`: everything reads the config, so the config reads
 * nothing.
 *
 * @module
 */
