/**
 * Seconds of video actually in a file (frames / frame rate). Not the container duration: when
 * streamlink rides through an outage in one part, the file's timeline keeps the hole.
 */
export async function contentSeconds(path: string): Promise<number> {
  const output = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-count_packets",
      "-show_entries",
      "stream=nb_read_packets,avg_frame_rate",
      "-of",
      "json",
      path,
    ],
    stdout: "piped",
  }).output();
  const stream = JSON.parse(new TextDecoder().decode(output.stdout)).streams[0];
  const [num, den] = String(stream.avg_frame_rate).split("/").map(Number);
  return Number(stream.nb_read_packets) / (num! / (den || 1));
}
