/**
 * Upload throughput: the same file to the same loopback WebDAV server (`rclone serve webdav`,
 * with a password), once with a plain `rclone copy` and once through twitchtool's queue
 * (`upload run`: copy, then verify). The ratio of wall times is the cost of twitchtool's
 * queue and check; the WebDAV server keeps no hashes, so the check reads the file back
 * (`hashsum --download`), which the note says. Also twitchtool's own CPU (the Deno process, not
 * rclone) while it uploads.
 */
import { join } from "node:path";
import { queueUploads } from "../../src/upload/upload_settings.ts";
import { makeSandbox, spawnCli } from "../../testing/cli.ts";
import { startWebdav } from "../../testing/webdav_server.ts";
import { ProcessSampler } from "./process_sampler.ts";
import { megabytes, ratio, round } from "./stats.ts";
import type { Workload, WorkloadContext, WorkloadOutcome } from "./workload.ts";

export const uploadThroughputWorkload: Workload = {
  name: "upload",
  title: "Upload throughput vs plain rclone copy",
  estimate: { full: "1 min", quick: "15 s" },
  run,
};

async function run(context: WorkloadContext): Promise<WorkloadOutcome> {
  const bytes = (context.quick ? 64 : 512) * 1024 * 1024;
  await using sb = await makeSandbox();
  const source = join(sb.recordDir, "bench_2026-12-07_10-00-00.mp4");
  await Deno.mkdir(sb.recordDir, { recursive: true });
  await writeRandom(source, bytes);
  const served = join(context.workDir, "served");
  await Deno.mkdir(served, { recursive: true });
  await using dav = await startWebdav(served, sb.home, { pass: "bench-pass" });

  context.say(`plain rclone copy of ${round(megabytes(bytes), 0)} MB`);
  const plainStart = performance.now();
  const plain = await new Deno.Command("rclone", {
    args: ["copy", source, "dav:plain", "--config", dav.rcloneConfig],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!plain.success) throw new Error(new TextDecoder().decode(plain.stderr));
  const plainSeconds = (performance.now() - plainStart) / 1000;

  await sb.writeConfig(
    `[paths]\nruntime_dir = "${sb.runtimeDir}"\n\n[upload]\nremote = "dav:queued"\n` +
      `rclone_config = "${dav.rcloneConfig}"\n`,
  );
  const settings = {
    remote: "dav:queued",
    deleteLocal: false,
    what: ["recording"],
    pathTemplate: "{file}",
    extraArgs: [],
    host: "bench",
  };
  await queueUploads(settings, sb.queueDir, "bench", [source], new Date());
  context.say("twitchtool upload run");
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
  return {
    measurements: [
      {
        metric: "plain rclone copy",
        value: round(megabytes(bytes) / plainSeconds, 1),
        unit: "MB/s",
      },
      {
        metric: "twitchtool upload run",
        value: round(megabytes(bytes) / seconds, 1),
        unit: "MB/s",
      },
      {
        metric: "time vs plain rclone copy",
        value: ratio(seconds, plainSeconds),
        unit: "x",
        note: "copy + verify; goal <= 1.1 when the remote keeps hashes",
      },
      { metric: "twitchtool's own CPU", value: round((100 * cpu) / seconds, 1), unit: "%" },
    ],
    notes: [
      `${round(megabytes(bytes), 0)} MB of random bytes to rclone serve webdav on loopback`,
      "this WebDAV keeps no hashes: the check reads the file back (hashsum --download), about " +
      "one more transfer; a remote with hashes (S3, B2, local) skips that",
      "CPU: the Deno process of upload run (local sha256 of the file included), not rclone",
    ],
  };
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
