/** The start of an ffmpeg command that generates a test pattern with a 440 Hz tone. */
export function testPatternInputArgs(
  options: { size: string; fps: number; sampleRate: number; seconds: number },
): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${options.size}:rate=${options.fps}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=${options.sampleRate}`,
    "-t",
    String(options.seconds),
  ];
}
