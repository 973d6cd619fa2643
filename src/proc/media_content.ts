/**
 * What a media file really holds, measured from its packets, and the one rule deciding whether
 * an output holds what its input did. Container durations lie exactly when it matters (a
 * timeline that jumps back claims too little, a gap claims too much), so finalize, `recover`,
 * `tscompress` and the encoder all judge outputs here, by packet counts and timestamps.
 */
import type { MediaInfo, ProbedStream } from "./ffprobe.ts";
import { runCommand } from "./spawn.ts";

/** A stream of ffprobe's list with the index its packets refer to. */
type IndexedStream = ProbedStream & { index: number };

/** One stream's packets, summed up. */
export interface StreamContent {
  readonly index: number;
  readonly type: string;
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly packets: number;
  /** First and last decode time, seconds. */
  readonly first: number;
  readonly last: number;
  /** Typical packet spacing (the median step), seconds. */
  readonly step: number;
  /** Seconds of media the packets carry: packets × typical step. */
  readonly seconds: number;
  /** Decode times that go back or repeat (overlapping timelines). */
  readonly backJumps: number;
  /** Steps far shorter than the typical one (frames squashed together). */
  readonly squashed: number;
  /** Longest step forward, seconds. */
  readonly longestHole: number;
}

/** A file measured by content; `duration` is the seconds of media held, not the header's claim. */
export interface MediaContent extends MediaInfo {
  readonly video?: StreamContent;
  readonly audio?: StreamContent;
  /** Why the timeline is not one clean, increasing line (empty when it is). */
  readonly timelineProblems: readonly string[];
}

/** Measures `path` from its packets; `undefined` when ffprobe cannot read it as media. */
export async function measureContent(path: string): Promise<MediaContent | undefined> {
  const streams = await runCommand("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=index,codec_type,codec_name,width,height",
    "-of",
    "json",
    path,
  ]);
  if (streams.code !== 0) return undefined;
  let list: IndexedStream[];
  try {
    list = JSON.parse(streams.stdout).streams ?? [];
  } catch {
    return undefined;
  }
  const media = list.filter((s) => s.codec_type === "video" || s.codec_type === "audio");
  if (media.length === 0) return undefined;
  const packets = await runCommand("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "packet=stream_index,dts_time,pts_time",
    "-of",
    "csv=p=0",
    path,
  ]);
  if (packets.code !== 0) return undefined;
  return summarize(media, packets.stdout);
}

/** Builds {@link MediaContent} from ffprobe's stream list and `stream,pts,dts` CSV lines. */
export function summarize(streams: readonly IndexedStream[], csv: string): MediaContent {
  const times = new Map<number, number[]>();
  for (const stream of streams) times.set(stream.index, []);
  for (const line of csv.split("\n")) {
    const [index, pts, dts] = line.split(",");
    const list = times.get(Number(index));
    if (!list) continue;
    const time = Number(dts === "N/A" || dts === undefined || dts === "" ? pts : dts);
    if (Number.isFinite(time)) list.push(time);
  }
  const measured = streams.map((stream) => measureStream(stream, times.get(stream.index) ?? []));
  const video = measured.find((s) => s.type === "video" && s.packets > 0);
  const audio = measured.find((s) => s.type === "audio" && s.packets > 0);
  const main = video ?? audio;
  const timelineProblems: string[] = [];
  for (const stream of [video, audio]) {
    if (!stream) continue;
    // ffmpeg's timeline repair shifts all streams at the packet that jumped, so at each join a
    // few audio packets (tens of milliseconds) overlap; video must be exact.
    const allowed = stream.type === "audio" ? Math.max(4, stream.packets * 0.01) : 0;
    if (stream.backJumps + stream.squashed <= allowed) continue;
    if (stream.backJumps > 0) {
      timelineProblems.push(`${stream.type} timestamps go back ${stream.backJumps} time(s)`);
    }
    if (stream.squashed > 0) {
      timelineProblems.push(`${stream.squashed} ${stream.type} packet(s) squashed together`);
    }
  }
  return {
    duration: main?.seconds ?? 0,
    streams: streams.map((s) => ({
      codec_type: s.codec_type,
      codec_name: s.codec_name,
      ...(s.width ? { width: s.width } : {}),
      ...(s.height ? { height: s.height } : {}),
    })),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    timelineProblems,
  };
}

function measureStream(stream: IndexedStream, times: readonly number[]): StreamContent {
  const steps: number[] = [];
  for (let i = 1; i < times.length; i++) steps.push(times[i]! - times[i - 1]!);
  const positive = steps.filter((step) => step > 0).sort((a, b) => a - b);
  const step = positive[Math.floor(positive.length / 2)] ?? 0;
  let backJumps = 0;
  let squashed = 0;
  let longestHole = 0;
  for (const s of steps) {
    if (s <= 0) backJumps++;
    else if (s < step * 0.25) squashed++;
    else longestHole = Math.max(longestHole, s);
  }
  return {
    index: stream.index,
    type: stream.codec_type,
    codec: stream.codec_name,
    ...(stream.width ? { width: stream.width } : {}),
    ...(stream.height ? { height: stream.height } : {}),
    packets: times.length,
    first: times[0] ?? 0,
    last: times[times.length - 1] ?? 0,
    step,
    seconds: times.length * step,
    backJumps,
    squashed,
    longestHole,
  };
}

/** What an output must hold, from its input. */
export interface ContentExpectation {
  /** Seconds of media in the input. */
  readonly seconds: number;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  /** Exact packet counts, when the output is a stream copy. */
  readonly packets?: { readonly video?: number; readonly audio?: number };
  /** Largest gap the output may keep (finalize closes longer ones). */
  readonly maxHoleSeconds?: number;
}

/** The input side of a comparison, from a measured file. */
function expectationOf(input: MediaContent): ContentExpectation {
  return { seconds: input.duration, hasVideo: !!input.video, hasAudio: !!input.audio };
}

/**
 * Why `output` does not hold what was expected (empty when it does): streams missing, a
 * timeline that goes back or squashes frames, packets lost in a copy, holes, or fewer seconds
 * of media than the input (a little slack for edge frames).
 */
export function contentProblems(output: MediaContent, expected: ContentExpectation): string[] {
  const problems = [...output.timelineProblems];
  if (expected.hasVideo && !output.video) problems.push("the video stream is missing");
  if (expected.hasAudio && !output.audio) problems.push("the audio stream is missing");
  for (const kind of ["video", "audio"] as const) {
    const want = expected.packets?.[kind];
    const have = output[kind]?.packets ?? 0;
    if (want !== undefined && have < want - Math.max(2, want * 0.002)) {
      problems.push(`${have} ${kind} packets where the input had ${want}`);
    }
  }
  const main = output.video ?? output.audio;
  if (main && expected.maxHoleSeconds !== undefined && main.longestHole > expected.maxHoleSeconds) {
    problems.push(`a ${main.longestHole.toFixed(1)} s hole in the ${main.type}`);
  }
  if (output.duration < expected.seconds - Math.max(1.5, expected.seconds * 0.02)) {
    problems.push(
      `it holds ${output.duration.toFixed(1)} s of media but the input held ${
        expected.seconds.toFixed(1)
      } s`,
    );
  }
  return problems;
}

/**
 * Why `output` is not a complete copy or encode of `source` (empty when it is). Files measured
 * by {@link measureContent} are judged by {@link contentProblems}; plain probe results (from a
 * test's fake prober) only by their duration, with the same slack.
 */
export function copyProblems(source: MediaInfo, output: MediaInfo): string[] {
  if (isMeasured(source) && isMeasured(output)) {
    return contentProblems(output, expectationOf(source));
  }
  const slack = Math.max(1.5, source.duration * 0.02);
  return output.duration < source.duration - slack
    ? [
      `it lasts ${output.duration.toFixed(1)} s but the input lasts ${
        source.duration.toFixed(1)
      } s`,
    ]
    : [];
}

function isMeasured(info: MediaInfo): info is MediaContent {
  return Array.isArray((info as Partial<MediaContent>).timelineProblems);
}
