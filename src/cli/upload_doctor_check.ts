import type { Config } from "../config/config.ts";
import { FileLock } from "../state/file_lock.ts";
import { uploadLockPath, uploadView } from "../state/upload_queue.ts";
import { checkRemote } from "../upload/check_remote.ts";
import { uploadSettings } from "../upload/upload_settings.ts";
import { formatBytes } from "../util/disk_space.ts";
import { type CheckResult, checkTool } from "./doctor_checks.ts";

/**
 * `doctor`'s view of `[upload]`: rclone is installed, the remote answers (`rclone lsd`, skipped
 * with `--offline`), and the queue: a queue stopped by a permanent failure is a FAIL with its
 * one line, files waiting are a note.
 */
export async function checkUploads(config: Config, offline: boolean): Promise<CheckResult[]> {
  const name = "uploads";
  const settings = uploadSettings(config);
  if (!settings) return [{ level: "ok", name, detail: 'off (no "upload.remote")' }];
  const tool = await checkTool("rclone", "version");
  if (tool.level === "fail") return [tool];
  const results: CheckResult[] = [tool];
  if (!offline) {
    const remote = await checkRemote(settings);
    results.push({ level: remote.ok ? "ok" : "fail", name, detail: remote.detail });
  }
  const queueDir = config.paths.queueDir;
  const view = await uploadView(queueDir, await FileLock.isHeld(uploadLockPath(queueDir)));
  if (view.state === "stopped" && view.error) {
    results.push({ level: "fail", name, detail: `the queue stopped: ${view.error}` });
  } else if (view.pending_files > 0) {
    const who = view.worker_running ? "being uploaded" : "waiting for a poller or upload run";
    results.push({
      level: "note",
      name,
      detail: `${view.pending_files} file(s), ${formatBytes(view.pending_bytes)} ${who}`,
    });
  }
  return results;
}
