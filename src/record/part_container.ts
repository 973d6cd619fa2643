import type { PartContainer } from "../proc/ffmpeg_args.ts";
import { readAt } from "../util/read_at.ts";
import { TS_PACKET_SIZE } from "./ts_packets.ts";

/**
 * What a part really is, told by its first bytes (streamlink writes fragmented MP4 into any file
 * name): MPEG-TS starts with sync bytes 188 apart, MP4 with a top-level box; `undefined` for
 * anything else.
 */
export async function partContainer(path: string): Promise<PartContainer | undefined> {
  const head = await readHead(path, TS_PACKET_SIZE + 1);
  if (head[0] === 0x47 && (head.byteLength <= TS_PACKET_SIZE || head[TS_PACKET_SIZE] === 0x47)) {
    return "mpegts";
  }
  const type = new TextDecoder().decode(head.subarray(4, 8));
  return ["ftyp", "styp", "moov", "moof", "sidx"].includes(type) ? "mp4" : undefined;
}

async function readHead(path: string, length: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  return await readAt(file, 0, length);
}
