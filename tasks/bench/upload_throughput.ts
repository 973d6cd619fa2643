/**
 * Upload throughput: the same file to three loopback remotes, each once with a plain `rclone copy`
 * and once through twitchtool's queue (`upload run`: copy, then verify), side by side in one run.
 * The ratio of wall times is the cost of twitchtool's queue and check:
 * - `rclone serve webdav` (with a password) keeps no hashes, so the check reads the file back
 *   (`hashsum --download`);
 * - `rclone serve sftp` answers md5sum, as SFTP with a shell does: rclone copyto checks the copy's
 *   md5 itself, and the check takes that from its log (plus a size from a listing);
 * - an rclone `local` remote on another folder: the same, the md5 of the bytes written.
 * Also twitchtool's own CPU (the Deno process, not rclone) while it uploads.
 */
import { join } from "node:path";
import { queueUploads } from "../../src/upload/upload_settings.ts";
import { makeSandbox, spawnCli } from "../../testing/cli.ts";
import { startSftp } from "../../testing/sftp_server.ts";
import { startWebdav } from "../../testing/webdav_server.ts";
import { ProcessSampler } from "./process_sampler.ts";
import { median, megabytes, round } from "./stats.ts";
import type { Measurement, Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

export const uploadThroughputWorkload: Workload = {
  name: "upload",
  title: "Upload throughput vs plain rclone copy",
  estimate: { full: "4 min", quick: "30 s" },
  run,
};

/** A remote to measure: its rclone config and the `remote:path` prefix uploads go under. */
interface Target {
  readonly label: string;
  /** The folder on this disk the remote stores into. */
  readonly root: string;
  readonly rcloneConfig: string;
  readonly remote: string;
}

async function run(context: WorkloadContext): Promise<WorkloadOutcome> {
  // 1 GiB is about 25 minutes of 1080p60 at 6 Mb/s: a short recording.
  const bytes = (context.quick ? 64 : 1024) * 1024 * 1024;
  const source = join(context.workDir, "bench_2026-12-07_10-00-00.mp4");
  await writeRandom(source, bytes);
  const served = join(context.workDir, "served");
  await Deno.mkdir(served, { recursive: true });
  await using dav = await startWebdav(served, context.workDir, { pass: "bench-pass" });
  const sftpServed = join(context.workDir, "sftp-served");
  await Deno.mkdir(sftpServed, { recursive: true });
  await using sftp = await startSftp(sftpServed, context.workDir, { pass: "bench-pass" });
  const localConfig = join(context.workDir, "local.conf");
  await Deno.writeTextFile(localConfig, "[loc]\ntype = local\n");
  const localRoot = join(context.workDir, "loc");
  await Deno.mkdir(localRoot, { recursive: true });
  const targets: Target[] = [
    { label: "webdav, no hashes", root: served, rcloneConfig: dav.rcloneConfig, remote: "dav:" },
    { label: "sftp, md5sum", root: sftpServed, rcloneConfig: sftp.rcloneConfig, remote: "sftp:" },
    {
      label: "local, hashes",
      root: localRoot,
      rcloneConfig: localConfig,
      remote: `loc:${localRoot}/`,
    },
  ];
  const measurements: Measurement[] = [await startUp(context, targets[0]!)];
  for (const target of targets) measurements.push(...await measure(context, source, target));
  return {
    measurements,
    notes: [
      `${round(megabytes(bytes), 0)} MB of random bytes, ${context.quick ? 1 : 3} rounds of a ` +
      "plain copy then upload run back to back, medians; webdav: rclone serve webdav on " +
      "loopback, sftp: rclone serve sftp on loopback, local: an rclone local remote on another " +
      "folder of the same disk",
      "webdav keeps no hashes: the check reads the file back (hashsum --download), about one " +
      "more transfer; sftp and local: the md5 rclone copyto checked itself, from its log " +
      "(the same check a plain rclone copy makes), and a size from a listing",
      "CPU: the Deno process of upload run (with webdav its own md5 of the file, read during " +
      "the read-back), not rclone",
    ],
  };
}

/** One round: wall seconds of the plain copy and of `upload run`, and upload run's own CPU %. */
interface Round {
  readonly plain: number;
  readonly queued: number;
  readonly cpu: number;
}

/**
 * Rounds of a plain `rclone copy` of `source` to `target` then `upload run` of it, each pair
 * back to back so that the load of a shared machine weighs on both alike; the median of the
 * rounds is reported.
 */
async function measure(
  context: WorkloadContext,
  source: string,
  target: Target,
): Promise<Measurement[]> {
  const bytes = (await Deno.stat(source)).size;
  const rounds: Round[] = [];
  for (let index = 1; index <= (context.quick ? 1 : 3); index++) {
    context.say(`${target.label}, round ${index}: plain rclone copy, then twitchtool upload run`);
    const plain = await plainCopy(source, target, `plain${index}`);
    rounds.push({ plain, ...await queuedUpload(context, source, target, `queued${index}`) });
    await emptyDir(target.root);
  }
  const plainSeconds = median(rounds.map((round) => round.plain));
  const seconds = median(rounds.map((round) => round.queued));
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
      value: round(median(rounds.map((round) => round.queued / round.plain)), 3),
      unit: "x",
      note: `median of ${rounds.length}; ` +
        (target.label.includes("no hashes")
          ? "copy + verify by reading back"
          : "copy + verify from rclone's own md5 check; goal <= 1.1"),
    },
    {
      metric: at("twitchtool's own CPU"),
      value: round(median(rounds.map((round) => round.cpu)), 1),
      unit: "%",
    },
  ];
}

/** Wall seconds of a plain `rclone copy` of `source` into `folder` of the target. */
async function plainCopy(source: string, target: Target, folder: string): Promise<number> {
  const start = performance.now();
  const plain = await new Deno.Command("rclone", {
    args: ["copy", source, `${target.remote}${folder}`, "--config", target.rcloneConfig],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!plain.success) throw new Error(new TextDecoder().decode(plain.stderr));
  return (performance.now() - start) / 1000;
}

/** `upload run` of `source` queued to `folder` of the target: wall seconds and own CPU %. */
async function queuedUpload(
  context: WorkloadContext,
  source: string,
  target: Target,
  folder: string,
): Promise<{ queued: number; cpu: number }> {
  await using sb = await makeSandbox();
  const remote = `${target.remote}${folder}`;
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
  return { queued: seconds, cpu: round((100 * cpu) / seconds, 1) };
}

/**
 * The fixed cost in each ratio: `upload run` of an empty queue (Deno's start-up, the config, the
 * queue's lock), where a plain rclone starts in a few tens of milliseconds.
 */
async function startUp(context: WorkloadContext, target: Target): Promise<Measurement> {
  await using sb = await makeSandbox();
  await sb.writeConfig(
    `[paths]\nruntime_dir = "${sb.runtimeDir}"\n\n[upload]\nremote = "${target.remote}empty"\n` +
      `rclone_config = "${target.rcloneConfig}"\n`,
  );
  const seconds: number[] = [];
  for (let index = 0; index < 3; index++) {
    const start = performance.now();
    const output = await context.during("upload run", spawnCli(sb, ["upload", "run"]).output());
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    seconds.push((performance.now() - start) / 1000);
  }
  return {
    metric: "upload run of an empty queue (start-up)",
    value: round(median(seconds), 2),
    unit: "s",
    note: "in each ratio below",
  };
}

/** Removes what a round left in a remote's folder (512 MiB a copy). */
async function emptyDir(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    await Deno.remove(join(dir, entry.name), { recursive: true });
  }
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
