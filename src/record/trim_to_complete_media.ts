import { trimFmp4ToCompleteFragments } from "./fmp4_fragments.ts";
import { partContainer } from "./part_container.ts";
import { trimToCompletePackets } from "./ts_packets.ts";

/**
 * Cuts a part killed mid-write back to what is complete: whole TS packets for MPEG-TS, whole
 * fragments for fragmented MP4 (decided by the bytes, not the name). Returns the bytes removed.
 */
export async function trimToCompleteMedia(path: string): Promise<number> {
  const trimmed = await trimToCompletePackets(path);
  if (trimmed > 0 || (await partContainer(path)) !== "mp4") return trimmed;
  return await trimFmp4ToCompleteFragments(path).catch(() => 0);
}
