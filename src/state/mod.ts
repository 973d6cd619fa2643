/**
 * Every file under the runtime, state, queue and temp dirs, and only there: atomic writes, file
 * locks, slots, session manifests, the encode job queue, the upload queue, daemon status, history,
 * retention's record. One owner per file format.
 *
 * Must not import: any feature room (chat/, notify/, web/, record/, poll/, encode/, retention/,
 * cli/) or proc/ beyond the pure `proc/streamlink_args.ts`; config/ for types only
 * (tests/layout_test.ts).
 *
 * @module
 */
