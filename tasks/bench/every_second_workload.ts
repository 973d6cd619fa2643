/**
 * Workload "every second" (issue 15): does the file hold the whole broadcast, each second once?
 * Real `twitchtool record` with real streamlink against scripted broadcasts of the local HLS
 * server (1 s segments, a 32-segment live window like Twitch's 30-40 s), the delivered `.mp4`
 * decoded frame by frame and matched against the source's frames.
 *
 * - **Start lost**: the broadcast has run D seconds when the recorder first asks (detection at
 *   the default 30 s interval notices a go-live 0-30 s late); seconds of the source before the
 *   first delivered frame. Before: streamlink's default start, 3 segments behind the live edge,
 *   loses D - 2 s (computed: that code is no longer here to run).
 * - **Repeats**: streamlink is killed twice mid-broadcast (as in a crash) and restarted by the
 *   recorder; frames in the delivered file more than once. Before: each restart began 3 segments
 *   behind the live edge and finalize kept both copies, 3 s (90 frames) per restart, counted
 *   from the measured restarts.
 */
import { join } from "node:path";
import {
  collect,
  listDir,
  makeSandbox,
  runCli,
  type Sandbox,
  spawnCli,
} from "../../testing/cli.ts";
import { ensureClip } from "../../testing/clips.ts";
import { frameHashes, frameHashesOf } from "../../testing/frames.ts";
import { startHlsServer } from "../../testing/hls_server.ts";
import { killTree } from "../../testing/proc_stat.ts";
import { processesWith } from "../../testing/processes.ts";
import { pollUntil } from "./wait.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

const FPS = 30;
/** Twitch's live playlist reaches 30-40 s back. */
const WINDOW_SEGMENTS = 32;
/** streamlink's default `--hls-live-edge`. */
const LIVE_EDGE = 3;

export const everySecondWorkload: Workload = {
  name: "every_second",
  title: "Every broadcast second once: start lost, repeats after restarts",
  estimate: { full: "3 min", quick: "1 min" },
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const measurements: Measurement[] = [];
    const notes: string[] = [];
    for (const delay of context.quick ? [15] : [5, 15, 25]) {
      context.say(`broadcast noticed ${delay} s after going live`);
      const lost = await startLost(context, delay);
      measurements.push({
        metric: `start lost, noticed ${delay} s after go-live`,
        value: lost,
        unit: "s",
        note: `before: ${Math.max(0, delay - (LIVE_EDGE - 1))} s (3 segments behind the edge)`,
      });
    }
    context.say("streamlink killed twice mid-broadcast");
    const repeats = await repeatsAfterRestarts(context);
    measurements.push({
      metric: "frames repeated after 2 restarts",
      value: repeats.duplicated,
      unit: "count",
      note: `before: ${repeats.restarts * LIVE_EDGE * FPS} (3 s per restart kept twice)`,
    });
    measurements.push({
      metric: "seconds dropped as repeats",
      value: repeats.dropped,
      unit: "s",
      note: `${repeats.restarts} restart(s), each reaching back over the live window`,
    });
    measurements.push({
      metric: "frames missing after 2 restarts",
      value: repeats.missing,
      unit: "count",
    });
    notes.push(
      `Start lost counts source seconds before the first delivered frame; the live window holds ${WINDOW_SEGMENTS} s, so a go-live noticed later than that still loses the difference.`,
    );
    return { measurements, notes };
  },
};

/** A TS clip of `seconds` one-second segments as a scripted broadcast. */
async function clip(seconds: number) {
  const { segments } = await ensureClip({ offset: 1000, seconds });
  return { script: { segments: segments.map((bytes) => ({ bytes, seconds: 1 })) }, segments };
}

/** Runs `record` on a broadcast already `delay` s old; source seconds before the first frame. */
async function startLost(context: WorkloadContext, delay: number): Promise<number> {
  const { script, segments } = await clip(delay + 8);
  const server = await startHlsServer({ windowSize: WINDOW_SEGMENTS, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server.urlTemplate);
    server.playScript("late", script, { heldAtStart: delay });
    const recorder = spawnCli(sandbox, ["record", "late"]);
    try {
      const result = await context.during("recording", collect(recorder));
      if (result.code !== 0) throw new Error(`record exited ${result.code}: ${result.stderr}`);
    } finally {
      await killTree(recorder.pid);
    }
    const frames = await frameHashes(await onlyMp4(sandbox));
    const source = await frameHashesOf(segments, context.workDir);
    const first = source.indexOf(frames[0] ?? "");
    return first < 0 ? source.length / FPS : first / FPS;
  } finally {
    await server.close();
  }
}

/** Kills the recorder's streamlink twice; what the delivered file repeats and misses. */
async function repeatsAfterRestarts(context: WorkloadContext) {
  const { script, segments } = await clip(30);
  const server = await startHlsServer({ windowSize: 8, endGraceMs: 2000 });
  try {
    await using sandbox = await sandboxFor(server.urlTemplate);
    server.playScript("crashy", script);
    const recorder = spawnCli(sandbox, ["record", "crashy"]);
    const result = collect(recorder);
    let restarts = 0;
    try {
      for (const part of ["_part01.ts", "_part02.ts"]) {
        const pid = await pollUntil(`streamlink writing ${part}`, async () => {
          const pids = (await processesWith(sandbox.tempDir))
            .filter((p) => p.argv.some((arg) => arg.includes(part)))
            .map((p) => p.pid);
          const sizes = await partSizes(sandbox);
          return pids.length > 0 && (sizes.get(part) ?? 0) > 400_000 ? pids : undefined;
        }, { everyMs: 200, timeoutMs: 60_000, signal: context.signal });
        for (const each of pid) Deno.kill(each, "SIGKILL");
        restarts++;
      }
      const done = await context.during("recording", result);
      if (done.code !== 0) throw new Error(`record exited ${done.code}: ${done.stderr}`);
    } finally {
      await killTree(recorder.pid);
    }
    const frames = await frameHashes(await onlyMp4(sandbox));
    const source = await frameHashesOf(segments, context.workDir);
    const history = JSON.parse((await runCli(sandbox, ["history", "--json"])).stdout);
    const seen = new Set(frames);
    return {
      restarts,
      duplicated: frames.length - seen.size,
      missing: source.filter((hash) => !seen.has(hash)).length,
      dropped: history.recordings[0]?.coverage?.repeats_dropped_seconds ?? 0,
    };
  } finally {
    await server.close();
  }
}

async function sandboxFor(urlTemplate: string): Promise<Sandbox> {
  return await makeSandbox({ urlTemplate });
}

async function onlyMp4(sandbox: Sandbox): Promise<string> {
  const finals = (await listDir(sandbox.recordDir)).filter((name) => name.endsWith(".mp4"));
  if (finals.length !== 1) throw new Error(`Expected one .mp4, found ${finals.join(", ")}`);
  return join(sandbox.recordDir, finals[0]!);
}

async function partSizes(sandbox: Sandbox): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of await listDir(sandbox.tempDir)) {
    const match = /(_part\d+\.ts)$/.exec(name);
    if (!match) continue;
    const info = await Deno.stat(join(sandbox.tempDir, name)).catch(() => undefined);
    sizes.set(match[1]!, info?.size ?? 0);
  }
  return sizes;
}
