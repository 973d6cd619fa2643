/**
 * The log level for a line streamlink printed, so its own errors and warnings stand out in
 * the recorder's log instead of passing as info. A streamlink error is a warning for the
 * recording (the recorder retries until `retry_window` runs out); only its critical messages
 * are errors. Its debug and trace lines are info: streamlink prints them only when
 * `record.loglevel` asks for them, so the recorder's own log level must not hide them again.
 */
export type StreamlinkLineLevel = "info" | "warning" | "error";

/** `[cli][error] ...`, `[stream.hls][warning] ...`, `error: No playable streams ...`. */
export function streamlinkLogLevel(line: string): StreamlinkLineLevel {
  const tagged = /^\[[^\]]*\]\[(\w+)\]/.exec(line)?.[1]?.toLowerCase();
  const word = tagged ?? /^(error|warning|critical):/i.exec(line)?.[1]?.toLowerCase();
  switch (word) {
    case "critical":
      return "error";
    case "error":
    case "warning":
      return "warning";
    default:
      return "info";
  }
}
