/**
 * Upload throughput: the same file to two loopback remotes, each once with a plain `rclone copy`
 * and once through twitchtool's queue (`upload run`: copy, then verify), side by side in one run.
 * The ratio of wall times is the cost of twitchtool's queue and check:
 * - `rclone serve webdav` (with a password) keeps no hashes, so the check reads the file back
 *   (`hashsum --download`);
 * - an rclone `local` remote on another folder gives a hash (`lsjson --hash`), as S3, B2 or SFTP
 *   with a shell do, so the check compares hashes without a download.
 * Also twitchtool's own CPU (the Deno process, not rclone) while it uploads.
 */
import { join } from "node:path";
import { queueUploads } from "../../src/upload/upload_settings.ts";
import { makeSandbox, spawnCli } from "../../testing/cli.ts";
import { startWebdav } from "../../testing/webdav_server.ts";
import { ProcessSampler } from "./process_sampler.ts";
import { megabytes, ratio, round } from "./stats.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

export const uploadThroughputWorkload: Workload = {
  name: "upload",
  title: "Upload throughput vs plain rclone copy",
  estimate: { full: "2 min", quick: "30 s" },
  run,
};

/** A remote to measure: its rclone config and the `remote:path` prefix uploads go under. */
interface Target {
  readonly label: string;
  readonly rcloneConfig: string;
  readonly remote: string;
}

async function run(context: WorkloadContext): Promise<WorkloadOutcome> {
  const bytes = (context.quick ? 64 : 512) * 1024 * 1024;
  const source = join(context.workDir, "bench_2026-12-07_10-00-00.mp4");
  await writeRandom(source, bytes);
  const served = join(context.workDir, "served");
  await Deno.mkdir(served, { recursive: true });
  await using dav = await startWebdav(served, context.workDir, { pass: "bench-pass" });
  const localConfig = join(context.workDir, "local.conf");
  await Deno.writeTextFile(localConfig, "[loc]\ntype = local\n");
  const targets: Target[] = [
    { label: "webdav, no hashes", rcloneConfig: dav.rcloneConfig, remote: "dav:" },
    { label: "local, hashes", rcloneConfig: localConfig, remote: `loc:${context.workDir}/loc/` },
  ];
  const measurements: Measurement[] = [];
  for (const target of targets) measurements.push(...await measure(context, source, target));
  return {
    measurements,
    notes: [
      `${round(megabytes(bytes), 0)} MB of random bytes; webdav: rclone serve webdav on ` +
      "loopback, local: an rclone local remote on another folder of the same disk",
      "webdav keeps no hashes: the check reads the file back (hashsum --download), about one " +
      "more transfer; the local remote gives a hash, as S3, B2 or SFTP with a shell do",
      "the local remote computes its hash by reading the copy back (rclone's local backend " +
      "keeps none on disk): most of what is left above 1x there; S3 or B2 store it",
      "CPU: the Deno process of upload run (local hash of the file, read during the copy), not rclone",
    ],
  };
}

/** A plain `rclone copy` of `source` to `target`, then `upload run` of it, timed. */
async function measure(
  context: WorkloadContext,
  source: string,
  target: Target,
): Promise<Measurement[]> {
  const bytes = (await Deno.stat(source)).size;
  context.say(`${target.label}: plain rclone copy of ${round(megabytes(bytes), 0)} MB`);
  const plainStart = performance.now();
  const plain = await new Deno.Command("rclone", {
    args: ["copy", source, `${target.remote}plain`, "--config", target.rcloneConfig],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!plain.success) throw new Error(new TextDecoder().decode(plain.stderr));
  const plainSeconds = (performance.now() - plainStart) / 1000;

  await using sb = await makeSandbox();
  const remote = `${target.remote}queued`;
  await sb.writeConfig(
    `[paths]\nruntime_dir = "${sb.runtimeDir}"\n\n[upload]\nremote = "${remote}"\n` +
      `rclone_config = "${target.rcloneConfig}"\n`,
  );
  const settings = {
    remote,
    deleteLocal: false,
    what: ["recording"],
    pathTemplate: "{file}",
    extraArgs: [],
    host: "bench",
  };
  await queueUploads(settings, sb.queueDir, "bench", [source], new Date());
  context.say(`${target.label}: twitchtool upload run`);
  const start = performance.now();
  const child = spawnCli(sb, ["upload", "run"]);
  const sampler = new ProcessSampler(child.pid, 200);
  sampler.start(context.signal);
  const output = await context.during("upload run", child.output());
  await sampler.stop();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const seconds = (performance.now() - start) / 1000;
  const own = sampler.rootProcess;
  const cpu = own ? own.lastCpu - own.firstCpu : NaN;
  const at = (metric: string) => `${metric} (${target.label})`;
  return [
    {
      metric: at("plain rclone copy"),
      value: round(megabytes(bytes) / plainSeconds, 1),
      unit: "MB/s",
    },
    {
      metric: at("twitchtool upload run"),
      value: round(megabytes(bytes) / seconds, 1),
      unit: "MB/s",
    },
    {
      metric: at("time vs plain rclone copy"),
      value: ratio(seconds, plainSeconds),
      unit: "x",
      note: target.label.includes("no hashes")
        ? "copy + verify by reading back"
        : "copy + verify; goal <= 1.1",
    },
    { metric: at("twitchtool's own CPU"), value: round((100 * cpu) / seconds, 1), unit: "%" },
  ];
}

async function writeRandom(path: string, bytes: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const chunk = new Uint8Array(1024 * 1024);
    for (let done = 0; done < bytes; done += chunk.length) {
      for (let at = 0; at < chunk.length; at += 65536) {
        crypto.getRandomValues(chunk.subarray(at, at + 65536));
      }
      await file.write(chunk);
    }
  } finally {
    file.close();
  }
}
