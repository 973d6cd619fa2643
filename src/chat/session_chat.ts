/**
 * The one call a capture session makes for chat: a {@link ChatRecorder} when `[chat] enabled`,
 * nothing otherwise. Kept apart so `capture_session.ts` only gains two hook lines.
 */
import type { Config } from "../config/config.ts";
import type { Clock } from "../util/clock.ts";
import { ChatRecorder } from "./chat_recorder.ts";

/** Starts chat capture for a session when the config asks for it. */
export function startSessionChat(
  config: Config,
  user: string,
  base: string,
  clock: Clock,
): Promise<ChatRecorder | undefined> {
  if (!config.chat.enabled) return Promise.resolve(undefined);
  return ChatRecorder.start({
    url: config.chat.url,
    channel: user,
    tempDir: config.paths.tempDir,
    base,
    clock,
  });
}
