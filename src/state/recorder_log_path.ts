/**
 * Where a channel's recorder log lives: `<logs_dir>/<user>.log`. A manual `record`, the poller's
 * hosted recordings and its launched recorders all append to it, and `status`/docs point users
 * at it, so the name is built here and nowhere else.
 */
import { join } from "node:path";

/** `<logsDir>/<user>.log`; `user` is the canonical (lower-case) channel name. */
export function recorderLogPath(logsDir: string, user: string): string {
  return join(logsDir, `${user}.log`);
}
