/**
 * Checks the fake live origin against the real streamlink, so the end-to-end
 * tests built on it exercise the same behaviour twitchtool sees in production:
 * a clean end of broadcast, a channel that is not live, and an outage.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type LiveHlsServer, startHlsServer } from "./hls_server.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function hlsUrl(server: LiveHlsServer, user: string): string {
  return server.urlTemplate.replace("{user}", user);
}

interface Recorder {
  /** Resolves when streamlink exits on its own; kills it after `timeoutMs` and rejects. */
  exited(timeoutMs: number): Promise<{ code: number; log: string }>;
  kill(): void;
}

function startStreamlink(url: string, output: string, extraArgs: string[] = []): Recorder {
  const child = new Deno.Command("streamlink", {
    args: ["--loglevel", "error", ...extraArgs, "-o", output, url, "best"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // streamlink prints its fatal "error: ..." line on stdout, log lines on stderr.
  const done = child.output().then((out) => ({
    code: out.code,
    log: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  }));
  let finished = false;
  done.finally(() => finished = true).catch(() => {});
  const kill = () => {
    if (!finished) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  return {
    kill,
    async exited(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          kill();
          reject(new Error(`streamlink still running after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
        await done.catch(() => {});
      }
    },
  };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

async function probe(path: string): Promise<{ codecTypes: string[]; duration: number }> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-show_entries",
      "format=duration:stream=codec_type",
      "-of",
      "json",
      path,
    ],
    stdin: "null",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    codecTypes: (info.streams ?? []).map((s: { codec_type: string }) => s.codec_type),
    duration: Number(info.format?.duration ?? 0),
  };
}

Deno.test("startHlsServer() serves a live stream streamlink can record", async () => {
  const server = await startHlsServer();
  const dir = await Deno.makeTempDir({ prefix: "hls_server_test_" });
  let recorder: Recorder | undefined;
  try {
    server.goLive("alice");
    const output = join(dir, "out.ts");
    recorder = startStreamlink(hlsUrl(server, "alice"), output);
    await sleep(6000);
    server.end("alice");
    assert.equal(server.state("alice"), "ended");
    const endedAt = performance.now();
    // Observed (streamlink 5.2.1): exit code 0 about 0.5 s after #EXT-X-ENDLIST
    // appears, having written exactly the bytes served.
    const { code, log } = await recorder.exited(15_000);
    const took = performance.now() - endedAt;
    assert.equal(code, 0, log);
    assert.ok(took < 10_000, `streamlink took ${took} ms to stop after ENDLIST`);

    const { codecTypes, duration } = await probe(output);
    assert.ok(codecTypes.includes("video"), `no video in ${codecTypes}`);
    assert.ok(codecTypes.includes("audio"), `no audio in ${codecTypes}`);
    assert.ok(duration > 3, `recorded only ${duration} s`);

    const stats = server.stats("alice");
    assert.ok(stats.segmentRequests >= 4, JSON.stringify(stats));
    assert.ok(stats.playlistRequests >= 2, JSON.stringify(stats));
    assert.equal(stats.bytes, await fileSize(output));
  } finally {
    recorder?.kill();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("goOffline() makes streamlink report no stream", async () => {
  const server = await startHlsServer();
  const dir = await Deno.makeTempDir({ prefix: "hls_server_test_" });
  let recorder: Recorder | undefined;
  try {
    server.goLive("bob");
    server.goOffline("bob");
    assert.equal(server.state("bob"), "offline");
    const output = join(dir, "out.ts");
    const started = performance.now();
    recorder = startStreamlink(hlsUrl(server, "bob"), output);
    // Observed: exit code 1 after about 0.7 s, printing "error: Unable to open
    // URL: ... (404 Client Error ...)" on stdout; no output file is created.
    const { code, log } = await recorder.exited(10_000);
    const took = performance.now() - started;
    assert.notEqual(code, 0, log);
    assert.match(log, /404/);
    assert.ok(took < 5000, `streamlink took ${took} ms to give up`);
    assert.equal(await fileSize(output), 0);
    assert.equal(server.stats("bob").segmentRequests, 0);
  } finally {
    recorder?.kill();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an outage mid-recording ends streamlink by read timeout, keeping its data", async () => {
  const server = await startHlsServer();
  const dir = await Deno.makeTempDir({ prefix: "hls_server_test_" });
  let recorder: Recorder | undefined;
  try {
    server.goLive("carol");
    const output = join(dir, "out.ts");
    recorder = startStreamlink(hlsUrl(server, "carol"), output, ["--stream-timeout", "3"]);
    await sleep(4000);
    server.goOffline("carol");
    const offlineAt = performance.now();
    // Observed (streamlink 5.2.1): a "Failed to reload playlist ... 404"
    // warning, then "error: Error when reading from stream: Read timeout,
    // exiting" and exit code 1 about 2.7 s after goOffline (3 s after the last
    // segment was read). The part it wrote is intact and playable, which is
    // why a part that holds data is kept whatever streamlink's exit code.
    const { code, log } = await recorder.exited(20_000);
    const took = performance.now() - offlineAt;
    assert.notEqual(code, 0, log);
    assert.ok(took < 10_000, `streamlink took ${took} ms to time out`);
    assert.ok(await fileSize(output) > 0, "the recorded data was lost");
    const { codecTypes } = await probe(output);
    assert.ok(codecTypes.includes("video"), `no video in ${codecTypes}`);
  } finally {
    recorder?.kill();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a channel back from an outage continues its sequence after a discontinuity", async () => {
  const server = await startHlsServer({ windowSize: 3, endGraceMs: 300 });
  const base = `http://127.0.0.1:${server.port}/live`;
  const get = async (path: string) => {
    const res = await fetch(`${base}/${path}`);
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
  };
  const mediaSequence = (playlist: string) =>
    Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)?.[1] ?? NaN);
  const segmentNumbers = (playlist: string) =>
    [...playlist.matchAll(/^seg\/(\d+)\.ts$/gm)].map((m) => Number(m[1]));
  try {
    assert.equal((await get("nobody/index.m3u8")).status, 404);
    server.goLive("dave");
    const master = await get("dave/index.m3u8");
    assert.equal(master.status, 200);
    assert.equal(master.type, "application/vnd.apple.mpegurl");
    assert.match(master.body, /RESOLUTION=320x180/);

    await sleep(2100);
    const before = await get("dave/180p.m3u8");
    const beforeSegments = segmentNumbers(before.body);
    assert.deepEqual(beforeSegments, [0, 1, 2]);
    assert.doesNotMatch(before.body, /DISCONTINUITY\n/);
    const segment = await fetch(`${base}/dave/seg/2.ts`);
    assert.equal(segment.headers.get("content-type"), "video/mp2t");
    assert.ok((await segment.arrayBuffer()).byteLength > 0);

    server.goOffline("dave");
    assert.equal((await get("dave/180p.m3u8")).status, 404);
    assert.equal((await get("dave/seg/2.ts")).status, 404);

    server.goLive("dave");
    const after = await get("dave/180p.m3u8");
    assert.equal(after.status, 200);
    assert.ok(mediaSequence(after.body) > Math.max(...beforeSegments), after.body);
    assert.match(after.body, /#EXT-X-DISCONTINUITY\n#EXTINF/);

    server.end("dave");
    assert.match((await get("dave/180p.m3u8")).body, /#EXT-X-ENDLIST/);
    await sleep(400);
    assert.equal(server.state("dave"), "offline");
    assert.equal((await get("dave/index.m3u8")).status, 404);
  } finally {
    await server.close();
  }
});
