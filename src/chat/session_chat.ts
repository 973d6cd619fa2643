/**
 * The one call a capture session makes for its journal (samples, title/game, and chat when
 * `[chat] enabled`). Kept apart so `capture_session.ts` only gains two hook lines.
 */
import type { Config } from "../config/config.ts";
import type { Clock } from "../util/clock.ts";
import { ChatRecorder } from "./chat_recorder.ts";

/** Starts a session's journal, with chat capture when the config asks for it. */
export function startSessionChat(
  config: Config,
  user: string,
  base: string,
  clock: Clock,
): Promise<ChatRecorder | undefined> {
  return ChatRecorder.start({
    chat: config.chat.enabled,
    url: config.chat.url,
    channel: user,
    tempDir: config.paths.tempDir,
    base,
    clock,
  });
}
