/**
 * Encoding: the encode daemon (take the oldest job, encode at low priority, pause while a recording
 * captures, install, settle), one verified transcode, `tscompress` and `encode-mode`.
 *
 * Must not import: record/, poll/, chat/, retention/, web/, cli/: jobs arrive as files in the queue
 * (`state/job_queue.ts`).
 *
 * @module
 */
