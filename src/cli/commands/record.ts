import { STREAM_ENV } from "../../poll/download_cmd.ts";
import { logRotation } from "../../state/log_rotation.ts";
import { withShutdownSignals } from "../../proc/signals.ts";
import { runRecorder } from "../../record/capture_session.ts";
import { recorderLogPath } from "../../state/recorder_log_path.ts";
import { normalizeUsername } from "../../record/username.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { addLogFile } from "../logging.ts";
import { printFinished } from "./finished_output.ts";

/** Options of `twitchtool record`. */
export interface RecordOptions {
  failFast?: boolean;
}

/** `twitchtool record <user>`: records until the stream is gone, prints what it produced. */
export async function recordCommand(
  user: string,
  options: RecordOptions,
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  await addLogFile(
    recorderLogPath(config.paths.logsDir, normalizeUsername(user)),
    `--- ${new Date().toISOString()} twitchtool record ${user}`,
    logRotation(config.logging.maxLogMb),
  );
  return await withShutdownSignals(async (signal) => {
    const outcome = await runRecorder(
      {
        username: user,
        config,
        failFast: options.failFast ?? false,
        stream: streamFromEnv(),
      },
      signal,
    );
    printFinished("Recorded", outcome.finished);
    return 0;
  });
}

/** The broadcast a launching poller named in the environment; ignored unless both are valid. */
function streamFromEnv(): { id: string; liveSince: string; vodId?: string } | undefined {
  const id = Deno.env.get(STREAM_ENV.id);
  const liveSince = Deno.env.get(STREAM_ENV.liveSince);
  const vodId = Deno.env.get(STREAM_ENV.vodId);
  if (!id || !liveSince || Number.isNaN(Date.parse(liveSince))) return undefined;
  return { id, liveSince, ...(vodId ? { vodId } : {}) };
}
