import { ExitCode } from "../../errors.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import { FileLock } from "../../state/file_lock.ts";
import { uploadLockPath, uploadView } from "../../state/upload_queue.ts";
import { runUploadsOnce } from "../../upload/run_uploads.ts";
import { formatBytes } from "../../util/disk_space.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { renderTable } from "../render_table.ts";
import { uploadLines } from "../upload_lines.ts";

/** `upload run`: uploads every queued file, then exits (see run_uploads.ts for exit codes). */
export async function uploadRunCommand(globals: GlobalOptions): Promise<number> {
  const config = await loadCommandConfig(globals);
  return await withShutdownSignals(async (signal) => {
    const end = await runUploadsOnce(config, signal);
    if (end === "empty") printLine("Upload queue empty: every file arrived and was verified");
    return ExitCode.Ok;
  });
}

/** `upload status`: the worker's state and the files still to upload. */
export async function uploadStatusCommand(
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const queueDir = config.paths.queueDir;
  const view = await uploadView(queueDir, await FileLock.isHeld(uploadLockPath(queueDir)));
  if (options.json) {
    printLine(JSON.stringify({ remote: config.upload.remote ?? null, ...view }, null, 2));
    return ExitCode.Ok;
  }
  for (const line of uploadLines(config.upload.remote, view)) printLine(line);
  if (view.pending.length > 0) {
    printLine(renderTable(
      ["file", "to", "size"],
      view.pending.map((item) => [item.local, item.dest, formatBytes(item.bytes)]),
    ));
  }
  return ExitCode.Ok;
}
