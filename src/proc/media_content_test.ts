import assert from "node:assert/strict";
import { contentProblems, measureContent, summarize } from "./media_content.ts";

const STREAMS = [
  { index: 0, codec_type: "video", codec_name: "h264", width: 320, height: 180 },
  { index: 1, codec_type: "audio", codec_name: "aac" },
];

/** `stream,pts,dts` lines: video at 30 fps and AAC at 44.1 kHz from `start` for `seconds`. */
function packets(start: number, seconds: number, videoTimes?: number[]): string[] {
  const lines: string[] = [];
  const video = videoTimes ?? Array.from({ length: seconds * 30 }, (_, i) => start + i / 30);
  for (const t of video) lines.push(`0,${t},${t}`);
  for (let t = start; t < start + seconds; t += 1024 / 44100) lines.push(`1,${t},${t}`);
  return lines;
}

Deno.test("summarize() measures seconds from packets and finds nothing wrong in a clean file", () => {
  const content = summarize(STREAMS, packets(10, 20).join("\n"));
  assert.equal(content.video?.packets, 600);
  assert.ok(Math.abs(content.duration - 20) < 0.01, `${content.duration}`);
  assert.deepEqual(content.timelineProblems, []);
  assert.deepEqual(
    contentProblems(content, { seconds: 20, hasVideo: true, hasAudio: true, maxHoleSeconds: 6 }),
    [],
  );
});

Deno.test("summarize() reports video squashed together and timelines that go back", () => {
  const squashed = Array.from({ length: 300 }, (_, i) => i < 150 ? i / 30 : 5 + (i - 150) * 1e-4);
  const content = summarize(STREAMS, packets(0, 10, squashed).join("\n"));
  assert.match(content.timelineProblems.join(), /video packet\(s\) squashed/);
  const restarted = [...packets(100, 5), ...packets(0, 5)].join("\n");
  assert.match(summarize(STREAMS, restarted).timelineProblems.join(), /video timestamps go back/);
});

Deno.test("summarize() tolerates a few overlapping audio packets at a join, not a broken audio timeline", () => {
  const lines = packets(0, 10);
  lines.push("1,5.0001,5.0001", "1,5.0002,5.0002");
  assert.deepEqual(summarize(STREAMS, lines.join("\n")).timelineProblems, []);
  const broken = [...packets(0, 10), ...Array.from({ length: 100 }, () => "1,3,3")];
  assert.match(summarize(STREAMS, broken.join("\n")).timelineProblems.join(), /audio/);
});

Deno.test("contentProblems() names missing streams, lost packets, holes and missing seconds", () => {
  const withHole = summarize(STREAMS, [...packets(0, 5), ...packets(25, 5)].join("\n"));
  const problems = contentProblems(withHole, {
    seconds: 14,
    hasVideo: true,
    hasAudio: true,
    packets: { video: 420 },
    maxHoleSeconds: 6,
  });
  assert.match(problems.join("|"), /300 video packets where the input had 420/);
  assert.match(problems.join("|"), /a 20\.0 s hole in the video/);
  assert.match(problems.join("|"), /holds 10\.0 s of media but the input held 14\.0 s/);
  const videoOnly = summarize(STREAMS.slice(0, 1), packets(0, 5).join("\n"));
  assert.match(
    contentProblems(videoOnly, { seconds: 5, hasVideo: true, hasAudio: true }).join(),
    /audio stream is missing/,
  );
});

Deno.test("measureContent() tallies a real file's packets as ffprobe streams them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "media-content-" });
  try {
    const path = `${dir}/clip.ts`;
    const encode = await new Deno.Command("ffmpeg", {
      args: [
        ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
        ...["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=30"],
        ...["-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "12"],
        ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", path],
      ],
    }).output();
    assert.equal(encode.code, 0, new TextDecoder().decode(encode.stderr));
    const content = await measureContent(path);
    assert.equal(content?.video?.packets, 360);
    // 12 s of 1024-sample AAC frames at 48 kHz, give or take the encoder's priming frame.
    assert.ok(Math.abs((content?.audio?.packets ?? 0) - 563) <= 2, `${content?.audio?.packets}`);
    assert.equal(content?.video?.step, 0.033333);
    assert.ok(Math.abs(content!.duration - 12) < 0.01, `${content?.duration}`);
    assert.deepEqual(content?.timelineProblems, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
