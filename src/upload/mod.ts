/**
 * Uploads with rclone: which delivered files go and where (`upload_settings.ts`), the rclone
 * argv (`rclone_args.ts`), what an rclone failure means (`rclone_failure.ts`), rclone's own hash
 * check of a copy read from its log (`copy_check.ts`), the check that a file arrived whole
 * (`verify_arrival.ts`) and the worker that empties the queue
 * (`upload_worker.ts`, started by `run_uploads.ts`). The queue's files are owned by
 * `state/upload_queue.ts`. See docs/uploads.md.
 *
 * Must not import: cli/, poll/, record/, web/ (they call in here).
 *
 * @module
 */
