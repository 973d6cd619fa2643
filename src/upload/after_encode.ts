/**
 * What an encode means for uploads: its output is queued (unless its channel's table says
 * `upload = false`), and an input that was uploaded but kept for the encoder (the worker never
 * deletes a file an encode job still has to read) goes now when `delete_local` asks for it. Safe
 * to repeat: the encoder calls it again after a crash.
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config/config.ts";
import { channelConfig } from "../config/channel_settings.ts";
import { removeIfExists } from "../state/atomic_write.ts";
import { markLocalDeleted, readUploaded } from "../state/upload_queue.ts";
import { queueUploads, uploadSettings, userOfFile } from "./upload_settings.ts";

const log = getLogger(["twitchtool", "upload"]);

/**
 * Queues `output` for upload and lets go of an uploaded `input` (see the module doc). The
 * channel's own settings decide, as they did when its recording was delivered
 * (record/finish_session.ts), so an `upload = false` channel's encodes stay here too.
 */
export async function afterEncode(config: Config, input: string, output: string): Promise<void> {
  const user = userOfFile(output) ?? userOfFile(input);
  const settings = uploadSettings(user ? channelConfig(config, user) : config);
  if (!settings) return;
  const queueDir = config.paths.queueDir;
  await queueUploads(settings, queueDir, user ?? "unknown", [output], new Date());
  if (!settings.deleteLocal) return;
  const uploaded = await readUploaded(queueDir, input);
  if (!uploaded || uploaded.local_deleted) return;
  if (await removeIfExists(input)) {
    log.info("Deleted {file}: uploaded, and its encode is done", { file: input });
  }
  await markLocalDeleted(queueDir, uploaded);
}
