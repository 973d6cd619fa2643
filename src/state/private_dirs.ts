/**
 * The folders that hold twitchtool's own state are private (0700) whatever the umask: the state
 * dir (daemon status, history), the logs (streamlink's output, channel names) and the encode
 * queue (paths of recordings). A role calls {@link ensurePrivateDirs} when it starts, which
 * creates them 0700 and sets an existing one of ours that is open to others back to 0700. The
 * runtime dir is created too, and is stricter: one open to others is refused, never fixed
 * (see `runtime_dir.ts`).
 */
import { ensurePrivateDir } from "./atomic_write.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";

/** The private folders of a config's `[paths]`. */
export interface PrivateDirs {
  readonly stateDir: string;
  readonly logsDir: string;
  readonly queueDir: string;
  readonly runtimeDir: string;
}

/** Creates (or fixes the mode of) the state, logs and queue folders, 0700; checks the runtime dir. */
export async function ensurePrivateDirs(paths: PrivateDirs): Promise<void> {
  for (const dir of [paths.stateDir, paths.logsDir, paths.queueDir]) await ensurePrivateDir(dir);
  await ensureRuntimeDir(paths.runtimeDir);
}
