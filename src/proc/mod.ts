/**
 * Processes: spawning, signalling and stopping them (signal, timeout, SIGKILL), the pure streamlink
 * and ffmpeg argv builders unit tests read, ffprobe, commands that run holding `flock` locks, and
 * the failpoints of the crash tests, and freeing a byte range of a file in place (`punch_hole.ts`).
 *
 * Must not import: the feature rooms (record/, poll/, encode/, chat/, notify/, retention/, web/)
 * and cli/; from state/ only what stopping a daemon reads (its pid file and lock).
 *
 * @module
 */
