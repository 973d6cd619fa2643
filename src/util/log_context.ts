/**
 * The implicit log property that names a hosted recording's own log file. The poller runs each
 * recording it hosts inside logtape's `withContext({ [SESSION_LOG_PROPERTY]: path })`, and the
 * process's logging setup appends every record carrying it to that file too: the recording's
 * lines then sit in `<logs_dir>/<user>.log` beside its streamlink's output, the one place a user
 * looks, as they do for a `record` process.
 */
export const SESSION_LOG_PROPERTY = "session_log";

/** Beside {@link SESSION_LOG_PROPERTY}: `[logging] max_log_mb`, when that file rotates. */
export const SESSION_LOG_MAX_MB_PROPERTY = "session_log_max_mb";
