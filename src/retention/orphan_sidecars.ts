/**
 * A recording's chat and info files belong to its broadcast, not to one file of it: they stay
 * while the original or its `_compressed.mp4` is left, and go with the last of them, so
 * retention never leaves a chat without its video nor takes it from a video that remains.
 */
import { basename, dirname, join } from "node:path";
import { CHAT_SUFFIX, INFO_SUFFIX } from "../chat/deliver_sidecars.ts";
import { pathExists, removeIfExists } from "../state/atomic_write.ts";

const VIDEO_SUFFIXES = [".mp4", ".ts", "_compressed.mp4"];

/** Removes the sidecars of `deletedVideo` once no video of its stem is left; returns them. */
export async function removeOrphanSidecars(deletedVideo: string): Promise<string[]> {
  const dir = dirname(deletedVideo);
  const stem = basename(deletedVideo).replace(/(_compressed)?\.(mp4|ts)$/, "");
  for (const suffix of VIDEO_SUFFIXES) {
    if (await pathExists(join(dir, stem + suffix))) return [];
  }
  const removed: string[] = [];
  for (const suffix of [CHAT_SUFFIX, INFO_SUFFIX]) {
    const path = join(dir, stem + suffix);
    if (await removeIfExists(path)) removed.push(path);
  }
  return removed;
}
