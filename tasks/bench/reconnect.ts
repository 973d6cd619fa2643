/**
 * Workload 4, reconnect gap: the channel's source disappears for 10 s in the middle of a real
 * recording from the local HLS server; how much of the stream is missing from the final file?
 *
 * Accounting, in seconds of content (video packets / frame rate, 1 s segments):
 * - 2 s into the outage, when no new data can arrive, the parts on disk are copied and
 *   measured: C1, everything captured before it (whatever streamlink's live-edge start got);
 * - after the source comes back the server publishes exactly floor(W2) + 1 segments until
 *   the broadcast ends W2 seconds later (it publishes a segment when it starts);
 * - the final file holds C, so C - C1 came after the outage, and the recording lost
 *   (segments published after the return) - (C - C1) seconds beyond the outage itself.
 * "Missing" = outage + that loss, to about one segment (1 s).
 *
 * The source stalls (playlist and segments answer 404) with two streamlink configurations:
 * `--stream-timeout 3` as in tests/reconnect_disk_test.ts, where streamlink gives up and
 * twitchtool reconnects (at once after a part with data, then backing off from 1 s); and
 * streamlink's defaults (`stream-timeout` 60 s), which may ride out the outage in one part.
 * (A broadcast that ends and restarts is left out: against the generic `hls://` plugin a retry
 * during the server's `#EXT-X-ENDLIST` grace re-downloads the ended window, which Twitch's
 * plugin, seeing an offline channel, never does.)
 * What the original tool would lose (it slept a full `retry_delay`, 60 s, after every part
 * ended) is computed from the measured part end, not run: nothing in this code base runs it.
 */
import { join } from "node:path";
import { listDir } from "../../testing/cli.ts";
import { LiveRecording } from "./live_recording.ts";
import { ProcessSampler, type SampledProcess } from "./process_sampler.ts";
import { ratio, round } from "./stats.ts";
import { contentSeconds } from "../../testing/media.ts";
import { sleep } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const OUTAGE_SECONDS = 10;
/** When, into the outage, the content captured before it is measured. */
const SETTLE_SECONDS = 2;
/** The original tool's fixed wait after a part ended, and our longest offline wait. */
const RETRY_DELAY_SECONDS = 60;
/** How often the recorder's streamlink processes are looked at (spawn and exit times). */
const SAMPLE_MS = 200;

/** The streamlink options an outage is recorded with. */
interface Variant {
  readonly key: string;
  readonly label: string;
  /** `[streamlink] extra_args` in TOML. */
  readonly extraArgs: string;
  readonly inQuick: boolean;
}

const VARIANTS: readonly Variant[] = [
  {
    key: "stall, timeout 3",
    label: "the source stalls for 10 s, streamlink --stream-timeout 3",
    extraArgs: `["--stream-timeout", "3"]`,
    inQuick: true,
  },
  {
    key: "stall, defaults",
    label: "the source stalls for 10 s, streamlink defaults (stream-timeout 60 s)",
    extraArgs: "[]",
    inQuick: false,
  },
];

/** What one outage run measured; lengths in seconds. */
interface OutageRun {
  readonly outage: number;
  /** Segments published after the return that are not in the file, never below 0. */
  readonly lostAfterReturn: number;
  /** The same before clamping: below 0 only through the ~1 s resolution. */
  readonly rawLostAfterReturn: number;
  readonly parts: number;
  /** Set when the streamlink of the first part ended and another one got the data after. */
  readonly reconnect?: Reconnect;
}

/** Timeline of a reconnect, seconds from the source going away. */
interface Reconnect {
  /** The first part's streamlink ended. */
  readonly partEnd: number;
  /** The streamlink that got data again was started. */
  readonly restart: number;
  /** streamlink attempts that found nothing in between. */
  readonly failedAttempts: number;
}

/** The reconnect workload (see the file comment). */
export const reconnectWorkload: Workload = {
  name: "reconnect",
  title: "Reconnect gap (10 s outage)",
  estimate: { full: "~1.5 min", quick: "~35 s" },
  run: runReconnect,
};

async function runReconnect(context: WorkloadContext): Promise<WorkloadOutcome> {
  const measurements: Measurement[] = [];
  const notes: string[] = [];
  for (const variant of VARIANTS.filter((v) => v.inQuick || !context.quick)) {
    context.say(`variant "${variant.key}": ${variant.label}`);
    const run = await runOutage(context, variant);
    measurements.push(...report(variant, run));
    notes.push(describe(variant, run));
  }
  notes.push(
    `Missing = outage + segments published after the source came back that are not in the ` +
      `file, to about 1 s (1 s segments). "Original tool" is analytic: it slept ` +
      `retry_delay = ${RETRY_DELAY_SECONDS} s after a part ended, so it would have started ` +
      `streamlink again ${RETRY_DELAY_SECONDS} s after the measured part end (±3 s: streamlink ` +
      `start-up against its 3-segment live edge); nothing here can run the original.`,
  );
  return { measurements, notes };
}

async function runOutage(context: WorkloadContext, variant: Variant): Promise<OutageRun> {
  const liveSeconds = context.quick ? 8 : 15;
  const user = "bench_gap";
  await using recording = await LiveRecording.start(user, {
    edit: (toml) =>
      toml
        .replace("retry_delay = 1", `retry_delay = ${RETRY_DELAY_SECONDS}`)
        // Long enough never to give up during the outage; the end is a SIGTERM instead.
        .replace("retry_window = 3", "retry_window = 60")
        .replace(/^extra_args = .*$/m, `extra_args = ${variant.extraArgs}`),
  });
  await recording.waitCapturing(context.signal);
  const sampler = new ProcessSampler(recording.pid, SAMPLE_MS);
  sampler.start(context.signal);
  try {
    await sleep(liveSeconds * 1000, context.signal);
    recording.server.goOffline(user);
    const offAt = performance.now();
    await sleep(SETTLE_SECONDS * 1000, context.signal);
    const before = await capturedSoFar(context, recording);
    context.say(`source gone for ${OUTAGE_SECONDS} s (${before.toFixed(1)} s captured before)`);
    await sleep((OUTAGE_SECONDS - SETTLE_SECONDS) * 1000, context.signal);
    recording.server.goLive(user);
    const backAt = performance.now();
    context.say(`source back; ${liveSeconds} s more, then the broadcast ends`);
    await sleep(liveSeconds * 1000, context.signal);
    const endAt = performance.now();
    const result = await recording.endAndStop(context.signal);
    await sampler.stop();
    const total = await contentSeconds(await recording.finalFile());
    const published = Math.floor((endAt - backAt) / 1000) + 1;
    const lost = published - (total - before);
    return {
      outage: (backAt - offAt) / 1000,
      lostAfterReturn: Math.max(0, lost),
      rawLostAfterReturn: lost,
      parts: Number(/from (\d+) part/.exec(result.stdout)?.[1] ?? NaN),
      ...reconnectOf(sampler, offAt, endAt),
    };
  } finally {
    await sampler.stop();
  }
}

/** Seconds of video in the parts on disk now (copied first: streamlink may be writing them). */
async function capturedSoFar(context: WorkloadContext, recording: LiveRecording): Promise<number> {
  const tempDir = recording.sandbox.tempDir;
  let seconds = 0;
  for (const name of await listDir(tempDir)) {
    if (!/_part\d+\.ts$/.test(name)) continue;
    const copy = join(context.workDir, name);
    await Deno.copyFile(join(tempDir, name), copy);
    if ((await Deno.stat(copy)).size > 0) seconds += await contentSeconds(copy);
    await Deno.remove(copy);
  }
  return seconds;
}

/** The reconnect, if the streamlink running at the outage is not the one running at the end. */
function reconnectOf(
  sampler: ProcessSampler,
  offAt: number,
  endAt: number,
): Pick<OutageRun, "reconnect"> {
  const all = sampler.named("streamlink");
  const runningAt = (time: number) =>
    all.find((p) => p.firstSeen <= time && p.lastSeen >= time - SAMPLE_MS);
  const first = runningAt(offAt);
  const last = runningAt(endAt);
  if (!first || !last || first === last) return {};
  const between = (p: SampledProcess) =>
    p.firstSeen > first.firstSeen && p.pid !== last.pid &&
    p.firstSeen < last.firstSeen;
  return {
    reconnect: {
      partEnd: (first.lastSeen - offAt) / 1000,
      restart: (last.firstSeen - offAt) / 1000,
      failedAttempts: all.filter(between).length,
    },
  };
}

/** The original tool's loss beyond the outage: it restarted `retry_delay` after the part ended. */
function originalLoss(run: OutageRun): number {
  if (!run.reconnect) return run.lostAfterReturn;
  return Math.max(0, run.reconnect.partEnd + RETRY_DELAY_SECONDS - run.outage);
}

function report(variant: Variant, run: OutageRun): Measurement[] {
  const missing = run.outage + run.lostAfterReturn;
  const original = run.outage + originalLoss(run);
  const name = (metric: string) => `${variant.key}: ${metric}`;
  return [
    {
      metric: name("stream missing"),
      value: round(missing, 1),
      unit: "s",
      note: `outage ${run.outage.toFixed(1)} s, ${run.parts} part(s)`,
    },
    {
      metric: name("missing beyond the outage"),
      value: round(run.lostAfterReturn, 1),
      unit: "s",
      note: `raw ${run.rawLostAfterReturn.toFixed(1)} s, ±1 s`,
    },
    ...(run.reconnect ? reconnectRows(name, run.reconnect, run.outage) : []),
    {
      metric: name("original tool, missing"),
      value: round(original, 1),
      unit: "s",
      note: run.reconnect ? "analytic: 60 s wait after the part" : "same: nothing to wait for",
    },
    {
      metric: name("original / twitchtool missing"),
      value: round(ratio(original, missing), 1),
      unit: "x",
    },
  ];
}

function reconnectRows(
  name: (metric: string) => string,
  reconnect: Reconnect,
  outage: number,
): Measurement[] {
  return [
    {
      metric: name("part ended after"),
      value: round(reconnect.partEnd, 1),
      unit: "s",
      note: "from the source going away",
    },
    {
      metric: name("streamlink that got data started"),
      value: round(reconnect.restart, 1),
      unit: "s",
      note: `source back at ${outage.toFixed(1)} s; ${reconnect.failedAttempts} failed tries`,
    },
  ];
}

function describe(variant: Variant, run: OutageRun): string {
  if (!run.reconnect) {
    return `"${variant.key}": streamlink rode out the ${OUTAGE_SECONDS} s outage in one ` +
      `process (it keeps reloading the playlist until stream-timeout), so there was nothing ` +
      `to reconnect.`;
  }
  const { partEnd, restart, failedAttempts } = run.reconnect;
  return `"${variant.key}": the part ended ${partEnd.toFixed(1)} s into the ` +
    `${run.outage.toFixed(1)} s outage; after ${failedAttempts} tries that found nothing ` +
    `(at once after a part with data, then 1 s, doubling), the streamlink that got data ` +
    `again started at ${restart.toFixed(1)} s.`;
}
