/**
 * `deno task demo`: the whole pipeline on a fresh machine with no Twitch account or network.
 * Starts a generated live stream on a local HLS server, records it with the real `record`
 * command (streamlink + ffmpeg) into ./demo-output, then encodes the result with the real
 * encoder daemon, and prints what was produced. First installs (as root) or names (otherwise)
 * the programs it needs (`tasks/prerequisites.ts`).
 */
import { join, resolve } from "node:path";
import { binaryFlags } from "../src/permissions.ts";
import { startHlsServer } from "../testing/hls_server.ts";
import { ensurePrerequisites } from "./prerequisites.ts";

if (!(await ensurePrerequisites("demo"))) Deno.exit(1);

const root = resolve(new URL("..", import.meta.url).pathname);
const out = join(root, "demo-output");
const channel = "demo_channel";
const liveSeconds = 15;

await Deno.remove(out, { recursive: true }).catch(() => {});
await Deno.mkdir(out, { recursive: true });
const configPath = join(out, "config.toml");

console.log("demo: generating test segments (cached after the first run)...");
const server = await startHlsServer({ endGraceMs: 1200 });
await Deno.writeTextFile(
  configPath,
  `# Demo configuration written by tasks/demo.ts
[paths]
record_dir = "${out}"
queue_dir = "${join(out, "queue")}"
logs_dir = "${join(out, "logs")}"
runtime_dir = "${join(out, "run")}"

[storage]
disk_free_min_bytes = 10485760

[record]
retry_delay = 1
retry_window = 3

[encode_daemon]
preset = "ultrafast"
video_codec = "libx264"
height = 144

[streamlink]
url_template = "${server.urlTemplate}"
extra_args = ["--stream-timeout", "3"]
`,
);

const env = { XDG_STATE_HOME: join(out, "state") };
const cli = (args: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...binaryFlags(),
      join(root, "src/main.ts"),
      "--config",
      configPath,
      ...args,
    ],
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();

try {
  server.goLive(channel);
  console.log(`demo: "${channel}" is live at ${server.urlTemplate.replace("{user}", channel)}`);
  console.log(`demo: $ twitchtool record ${channel}   (the stream ends after ${liveSeconds} s)`);
  const recorder = cli(["record", channel]);
  for (let second = 1; second <= liveSeconds; second++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (second % 5 === 0) console.log(`demo: ${second} s of ${liveSeconds} s broadcast`);
  }
  server.end(channel);
  console.log("demo: broadcast ended; the recorder finalizes after retry_window (3 s)");
  const recorded = await recorder.status;
  if (recorded.code !== 0) throw new Error(`record exited with ${recorded.code}`);

  console.log("demo: $ twitchtool encode-daemon run --exit-when-empty");
  const encoder = await cli(["encode-daemon", "run", "--exit-when-empty"]).status;
  if (encoder.code !== 0) throw new Error(`encode-daemon exited with ${encoder.code}`);

  console.log("\ndemo: produced in ./demo-output:");
  for await (const entry of Deno.readDir(out)) {
    if (!entry.isFile || !/\.(mp4|ts)$/.test(entry.name)) continue;
    console.log(`  ${entry.name}  ${await describe(join(out, entry.name))}`);
  }
} finally {
  await server.close();
}

async function describe(path: string): Promise<string> {
  const output = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-show_entries",
      "format=duration,size:stream=codec_name,height",
      "-of",
      "json",
      path,
    ],
    stdout: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const streams = (info.streams as { codec_name: string; height?: number }[])
    .map((s) => s.height ? `${s.codec_name} ${s.height}p` : s.codec_name).join(" + ");
  return `${Number(info.format.duration).toFixed(1)} s, ${
    (Number(info.format.size) / 1024).toFixed(0)
  } KiB, ${streams}`;
}
