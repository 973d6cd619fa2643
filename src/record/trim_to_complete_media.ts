import { trimFmp4ToCompleteFragments } from "./fmp4_fragments.ts";
import { trimToCompletePackets } from "./ts_packets.ts";

/**
 * Cuts a part killed mid-write back to what is complete: whole TS packets for MPEG-TS, whole
 * fragments for fragmented MP4 (decided by the bytes, not the name). Returns the bytes removed.
 */
export async function trimToCompleteMedia(path: string): Promise<number> {
  const trimmed = await trimToCompletePackets(path);
  if (trimmed > 0 || !(await startsWithMp4Box(path))) return trimmed;
  return await trimFmp4ToCompleteFragments(path).catch(() => 0);
}

async function startsWithMp4Box(path: string): Promise<boolean> {
  const file = await Deno.open(path, { read: true });
  try {
    const head = new Uint8Array(8);
    if ((await file.read(head)) !== 8) return false;
    return ["ftyp", "styp", "moov", "moof"].includes(new TextDecoder().decode(head.subarray(4)));
  } finally {
    file.close();
  }
}
