/**
 * What a media file really holds, measured from its packets, and the one rule deciding whether
 * an output holds what its input did. Container durations lie exactly when it matters (a
 * timeline that jumps back claims too little, a gap claims too much), so finalize, `recover`,
 * `tscompress` and the encoder all judge outputs here, by packet counts and timestamps.
 */
import type { MediaInfo, ProbedStream } from "./ffprobe.ts";
import { runCommand, spawnChild } from "./spawn.ts";

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
  // A long recording has millions of packets: each line is tallied as it comes, never held.
  const tally = new PacketTally(media);
  const packets = spawnChild("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "packet=stream_index,dts_time,pts_time",
    "-of",
    "csv=p=0",
    path,
  ], { stdout: { lines: (line) => tally.add(line) } });
  if ((await packets.exited).code !== 0) return undefined;
  return tally.summary();
}

/** Builds {@link MediaContent} from ffprobe's stream list and `stream,pts,dts` CSV lines. */
export function summarize(streams: readonly IndexedStream[], csv: string): MediaContent {
  const tally = new PacketTally(streams);
  for (const line of csv.split("\n")) tally.add(line);
  return tally.summary();
}

/**
 * ffprobe's `stream,pts,dts` packet lines summed up per stream as they arrive: counts, ends, and
 * the steps between decode times as a histogram of microseconds (a stream has few distinct
 * steps), which gives the median step and the holes without keeping a time per packet.
 */
class PacketTally {
  readonly #streams: readonly IndexedStream[];
  readonly #steps = new Map<number, StepTally>();

  constructor(streams: readonly IndexedStream[]) {
    this.#streams = streams;
    for (const stream of streams) this.#steps.set(stream.index, new StepTally());
  }

  /** One packet line; lines of other streams or without a time are skipped. */
  add(line: string): void {
    const [index, pts, dts] = line.split(",");
    const steps = this.#steps.get(Number(index));
    if (!steps) return;
    const time = Number(dts === "N/A" || dts === undefined || dts === "" ? pts : dts);
    if (Number.isFinite(time)) steps.add(time);
  }

  summary(): MediaContent {
    const streams = this.#streams;
    const measured = streams.map((stream) => this.#steps.get(stream.index)!.measure(stream));
    return contentOf(streams, measured);
  }
}

/** One stream's decode times, folded: see {@link PacketTally}. */
class StepTally {
  packets = 0;
  first = 0;
  last = 0;
  backJumps = 0;
  /** Positive steps by their length in microseconds. */
  readonly #forward = new Map<number, number>();
  #forwardCount = 0;

  add(time: number): void {
    if (this.packets === 0) this.first = time;
    else if (time - this.last <= 0) this.backJumps++;
    else {
      const micros = Math.round((time - this.last) * 1e6);
      this.#forward.set(micros, (this.#forward.get(micros) ?? 0) + 1);
      this.#forwardCount++;
    }
    this.last = time;
    this.packets++;
  }

  measure(stream: IndexedStream): StreamContent {
    const lengths = [...this.#forward.keys()].sort((a, b) => a - b);
    let step = 0;
    let seen = 0;
    const middle = Math.floor(this.#forwardCount / 2);
    for (const micros of lengths) {
      seen += this.#forward.get(micros)!;
      if (seen > middle) {
        step = micros / 1e6;
        break;
      }
    }
    let squashed = 0;
    let longestHole = 0;
    for (const micros of lengths) {
      if (micros / 1e6 < step * 0.25) squashed += this.#forward.get(micros)!;
      else longestHole = Math.max(longestHole, micros / 1e6);
    }
    return {
      index: stream.index,
      type: stream.codec_type,
      codec: stream.codec_name,
      ...(stream.width ? { width: stream.width } : {}),
      ...(stream.height ? { height: stream.height } : {}),
      packets: this.packets,
      first: this.first,
      last: this.last,
      step,
      seconds: this.packets * step,
      backJumps: this.backJumps,
      squashed,
      longestHole,
    };
  }
}

/** The file's content from its streams' measures, with what is wrong with its timeline. */
function contentOf(
  streams: readonly IndexedStream[],
  measured: readonly StreamContent[],
): MediaContent {
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
