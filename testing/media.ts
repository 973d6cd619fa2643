/**
 * Seconds of video a file really holds: video packets / frame rate. Not the container
 * duration: when streamlink rides through an outage in one part, the file's timeline can keep
 * the hole and its duration would hide the loss. Used by the reconnect test and benchmark.
 */
import { runCommand } from "../src/proc/spawn.ts";

/** Video seconds in `path` (an .mp4, or a .ts still being written). */
export async function contentSeconds(path: string): Promise<number> {
  const result = await runCommand("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-count_packets",
    "-show_entries",
    "stream=nb_read_packets,avg_frame_rate,r_frame_rate",
    "-of",
    "json",
    path,
  ]);
  if (result.code !== 0) throw new Error(`ffprobe cannot read "${path}": ${result.stderr}`);
  const stream = JSON.parse(result.stdout).streams?.[0] ?? {};
  const rate = frameRate(stream.avg_frame_rate) || frameRate(stream.r_frame_rate);
  if (!rate) throw new Error(`No frame rate in "${path}"`);
  return Number(stream.nb_read_packets) / rate;
}

function frameRate(text: unknown): number {
  const [num, den] = String(text).split("/").map(Number);
  return num && den ? num / den : 0;
}
