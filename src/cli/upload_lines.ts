/** The upload queue in words, for `upload status` and `status` (docs/uploads.md). */
import type { UploadView } from "../state/upload_queue.ts";
import { formatBytes } from "../util/disk_space.ts";
import { localTime } from "./human_values.ts";

/** The summary lines `upload status` and `status` print. */
export function uploadLines(remote: string | undefined, view: UploadView): string[] {
  if (remote === undefined && view.pending_files === 0) {
    return ['Uploads: off (set "upload.remote")'];
  }
  const lines = [
    `Uploads to ${
      remote ?? "(no remote set)"
    }: ${view.state}, ${view.pending_files} file(s) pending (${
      formatBytes(view.pending_bytes)
    }), ${view.failed_total} failed attempt(s)`,
  ];
  if (view.current) {
    const percent = view.current.total > 0
      ? Math.floor((view.current.bytes / view.current.total) * 100)
      : 0;
    lines.push(
      `  uploading ${view.current.local}: ${percent}% of ${formatBytes(view.current.total)} at ${
        formatBytes(view.current.speed)
      }/s`,
    );
  }
  if (view.error) {
    const when = view.retry_at ? ` (next try ${localTime(view.retry_at)})` : "";
    lines.push(`  ${view.state === "stopped" ? "stopped" : "last error"}: ${view.error}${when}`);
  }
  return lines;
}
