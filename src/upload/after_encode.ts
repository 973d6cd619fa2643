/**
 * What an encode means for uploads: its output is queued, and an input that was uploaded but
 * kept for the encoder (the worker never deletes a file an encode job still has to read) goes
 * now when `delete_local` asks for it. Safe to repeat: the encoder calls it again after a crash.
 */
import { getLogger } from "@logtape/logtape";
import { removeIfExists } from "../state/atomic_write.ts";
import { markLocalDeleted, readUploaded } from "../state/upload_queue.ts";
import { queueUploads, type UploadSettings, userOfFile } from "./upload_settings.ts";

const log = getLogger(["twitchtool", "upload"]);

/** Queues `output` for upload and lets go of an uploaded `input` (see the module doc). */
export async function afterEncode(
  settings: UploadSettings | undefined,
  queueDir: string,
  input: string,
  output: string,
): Promise<void> {
  if (!settings) return;
  const user = userOfFile(output) ?? userOfFile(input) ?? "unknown";
  await queueUploads(settings, queueDir, user, [output], new Date());
  if (!settings.deleteLocal) return;
  const uploaded = await readUploaded(queueDir, input);
  if (!uploaded || uploaded.local_deleted) return;
  if (await removeIfExists(input)) {
    log.info("Deleted {file}: uploaded, and its encode is done", { file: input });
  }
  await markLocalDeleted(queueDir, uploaded);
}
