/**
 * Retention: which recordings go when (a pure plan, so a dry run and the real run agree), the
 * retention run and loop, and making room when a capture meets a full disk.
 *
 * Must not import: record/, poll/, encode/, web/, cli/: the capture session measures free space
 * through `room_for_capture.ts`, not the other way round.
 *
 * @module
 */
