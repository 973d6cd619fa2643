/**
 * Whether the remote answers and lets us in (`rclone lsd`), for `doctor`: the same failure
 * classes as an upload (credentials, a remote not configured, ...), said before a recording
 * waits on them. A remote folder that does not exist yet is fine: the first upload creates it.
 */
import { lsdArgs } from "./rclone_args.ts";
import { rcloneFailure } from "./rclone_failure.ts";
import { type RunRclone, runRclone } from "./run_rclone.ts";
import type { UploadSettings } from "./upload_settings.ts";

/** What the check found: reachable (with a note), or why not. */
export interface RemoteCheck {
  readonly ok: boolean;
  readonly detail: string;
}

/** Lists the remote's top folder once. */
export async function checkRemote(
  settings: UploadSettings,
  run: RunRclone = runRclone,
): Promise<RemoteCheck> {
  const result = await run(lsdArgs(settings));
  if (result.code === 0) return { ok: true, detail: `${settings.remote} answers` };
  if (/directory not found/i.test(result.stderr)) {
    return {
      ok: true,
      detail: `${settings.remote} answers (the folder is created by the first upload)`,
    };
  }
  return {
    ok: false,
    detail: `${settings.remote}: ${rcloneFailure(result.stderr, result.code).reason}`,
  };
}
