/**
 * End to end: the status page in a real browser. A real `poller run` records two channels from
 * the local HLS server (while a real encoder works and pauses for them); headless Chromium loads
 * the page, the tests read the DOM it rendered and save a screenshot under test-artifacts/. Also: `/metrics` through a strict Prometheus parser, `/api/status` against
 * `status --json`, the refusal of a non-loopback bind without a token, and 200 stalled clients
 * that must not hold up a single poll cycle.
 */
import { pidsWith } from "../testing/processes.ts";
import { eventually } from "../testing/eventually.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  collect,
  defaultConfig,
  killLeftovers,
  makeSandbox,
  pollerSection,
  runCli,
  type Sandbox,
  spawnCli,
} from "../testing/cli.ts";
import {
  ARTIFACTS_DIR,
  BrowserPage,
  dumpDom,
  findChromium,
  screenshot,
} from "../testing/chromium.ts";
import { type LiveHlsServer, startHlsServer } from "../testing/hls_server.ts";
import type { PageData } from "../src/web/page_data.ts";
import { parsePrometheusText } from "../testing/prometheus.ts";
import { encoderStatus, makeClip, writeJob } from "../testing/encode_clips.ts";
import { freePort, readUntilClosed } from "../testing/raw_http.ts";

const TOKEN = "a-test-token-0123456789";

/** Drops what changes from one reading to the next (sizes, progress, poll times). */
function stripVolatile(value: unknown): unknown {
  const VOLATILE = ["bytes", "percent", "speed", "eta_seconds", "last_poll", "next_poll"];
  if (Array.isArray(value)) return value.map(stripVolatile);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([key]) => !VOLATILE.includes(key))
        .map(([key, v]) => [key, stripVolatile(v)]),
    );
  }
  return value;
}

async function statusJson(sandbox: Sandbox, configPath: string): Promise<unknown> {
  const result = await runCli(sandbox, ["--config", configPath, "status", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return await response.json();
}

interface PageRow {
  user: string;
  bytes: number;
  size: string;
}

/** The recording rows Chromium rendered. */
function recordingRows(dom: string): PageRow[] {
  const table = /<table id="recordings">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? "";
  return [...table.matchAll(/<tr data-user="(\w+)" data-bytes="(\d+)">([\s\S]*?)<\/tr>/g)].map(
    (m) => ({
      user: m[1]!,
      bytes: Number(m[2]),
      size: /<td class="size">([^<]*)<\/td>/.exec(m[3]!)?.[1] ?? "",
    }),
  );
}

async function stop(process: Deno.ChildProcess | undefined): Promise<void> {
  try {
    process?.kill("SIGTERM");
    await process?.status;
  } catch {
    // Already exited.
  }
}

/**
 * A real `poller run` with its status page on a free loopback port, recording `channels` from the
 * local HLS server (both growing before `fn` runs); with `encode`, an encoder first works on a
 * 30-second clip and reports progress (it pauses for the recordings).
 */
async function withRecordingPoller(
  options: { channels: readonly string[]; encode: boolean },
  fn: (
    world: { base: string; server: LiveHlsServer; sandbox: Sandbox; configPath: string },
  ) => Promise<void>,
): Promise<void> {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const configPath = join(sandbox.home, "web.toml");
  const usersFile = join(sandbox.home, "channels.txt");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  await Deno.writeTextFile(
    configPath,
    defaultConfig(
      sandbox,
      server.urlTemplate,
      pollerSection(usersFile) +
        `\n[encode_daemon]\npreset = "medium"\n\n[web]\nlisten = "127.0.0.1:${port}"\n`,
    ),
  );
  await Deno.writeTextFile(usersFile, options.channels.join("\n") + "\n");
  const leftovers = new Set<number>();
  let encoder: Deno.ChildProcess | undefined;
  let poller: Deno.ChildProcess | undefined;
  try {
    if (options.encode) {
      await Deno.mkdir(sandbox.recordDir, { recursive: true });
      const clip = await makeClip(join(sandbox.recordDir, "clip.mp4"), { seconds: 30 });
      await writeJob(sandbox, "clip.json", {
        input: clip,
        output: join(sandbox.recordDir, "clip_compressed.mp4"),
        created_at: "2024-01-01T00:00:00Z",
        delete_input_on_success: false,
      });
      encoder = spawnCli(sandbox, ["--config", configPath, "encode-daemon", "run"]);
      leftovers.add(encoder.pid);
      await eventually("the encode reporting progress", async () => {
        const job = (await encoderStatus(sandbox))?.current_job;
        if (job?.ffmpeg_pid) leftovers.add(job.ffmpeg_pid);
        return (job?.percent ?? 0) > 0;
      }, 300_000);
    }
    for (const channel of options.channels) server.goLive(channel);
    poller = spawnCli(sandbox, ["--config", configPath, "poller", "run"]);
    leftovers.add(poller.pid);
    await eventually("every recording growing on the page's data", async () => {
      const page = await getJson(`${base}/api/page`).catch(() => undefined) as PageData;
      const growing = page?.status.recordings.filter((r) => r.bytes > 0) ?? [];
      return growing.length === options.channels.length;
    }, 300_000);
    await fn({ base, server, sandbox, configPath });
  } finally {
    await stop(poller);
    await stop(encoder);
    killLeftovers(leftovers);
    // streamlinks of this sandbox (detached, they outlive the poller)
    killLeftovers(await pidsWith(sandbox.tempDir));
    await server.close();
  }
}

const withChromium = { ignore: findChromium() === undefined };

Deno.test({
  name:
    "the poller's status page in Chromium shows two recordings with their sizes and the encode paused for them",
  ...withChromium,
  fn: () =>
    withRecordingPoller({ channels: ["web_a", "web_b"], encode: true }, async ({ base }) => {
      const first = recordingRows(await dumpDom(`${base}/`));
      assert.deepEqual(first.map((r) => r.user).sort(), ["web_a", "web_b"]);
      for (const row of first) {
        assert.ok(row.bytes > 0, `${row.user} has bytes`);
        assert.match(row.size, /^\d+(\.\d)? (B|KiB|MiB)$/, `${row.user} shows its size`);
      }
      // The encoder: paused for the recordings, its progress bar where ffmpeg left it.
      const dom = await eventually("the page showing the paused encode", async () => {
        const dom = await dumpDom(`${base}/`);
        return /<div id="encoder" class="state-live">Paused: clip\.mp4<\/div>/.test(dom) && dom;
      }, 60_000);
      const percent = Number(/class="bar" data-percent="([\d.]+)"/.exec(dom)?.[1]);
      assert.ok(percent > 0 && percent < 100, `progress bar at ${percent} %`);
      assert.match(dom, /<tr data-user="web_a"><td>web_a<\/td><td class="state-recording">/);
    }),
});

Deno.test({
  name: "the status page left open in Chromium updates itself: both sizes grow without a reload",
  ...withChromium,
  fn: () =>
    withRecordingPoller({ channels: ["web_a", "web_b"], encode: false }, async ({ base }) => {
      await using page = await BrowserPage.open(`${base}/`);
      const sizes = () =>
        page.evaluate<Record<string, number>>(
          `Object.fromEntries([...document.querySelectorAll("#recordings tbody tr")]
            .map((tr) => [tr.dataset.user, Number(tr.dataset.bytes)]))`,
        );
      const start = await eventually("the open page listing both", async () => {
        const now = await sizes();
        return (now.web_a ?? 0) > 0 && (now.web_b ?? 0) > 0 && now;
      });
      await eventually("both sizes grown in the open page", async () => {
        const now = await sizes();
        return now.web_a! > start.web_a! && now.web_b! > start.web_b!;
      }, 60_000);
      const fetched = await page.evaluate<number>(
        `performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/page")).length`,
      );
      assert.ok(fetched >= 1, "the page polled /api/page");
    }),
});

Deno.test("/metrics (strict text format) and /api/status of a recording poller agree with the files", () =>
  withRecordingPoller(
    { channels: ["web_a", "web_b"], encode: true },
    async ({ base, sandbox, configPath }) => {
      const metrics = await eventually("metrics with both recordings", async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const families = parsePrometheusText(text);
        return families.get("twitchtool_recordings_active")?.samples[0]?.value === 2 && families;
      });
      const sample = (name: string, user?: string) =>
        metrics.get(name)?.samples.find((s) => user === undefined || s.labels.user === user)
          ?.value;
      for (const user of ["web_a", "web_b"]) {
        assert.ok(sample("twitchtool_recording_bytes", user)! > 0, user);
        assert.equal(sample("twitchtool_channel_live", user), 1, user);
      }
      assert.equal(sample("twitchtool_encode_queue_jobs"), 1);
      assert.ok(sample("twitchtool_encode_progress_ratio")! > 0);
      assert.ok(sample("twitchtool_disk_free_bytes")! > 0);
      assert.ok(sample("twitchtool_poll_cycles_total")! >= 1);
      assert.ok(sample("twitchtool_poll_duration_seconds")! >= 0);
      assert.equal(metrics.get("twitchtool_recorded_bytes_total")?.type, "counter");
      assert.ok(sample("twitchtool_recorded_bytes_total")! > 0, "bytes written counted");

      // /api/status is status --json (the page reads every 2 s: equal within a few readings).
      await eventually("/api/status equal to status --json", async () => {
        const [cli, api] = [
          await statusJson(sandbox, configPath),
          await getJson(`${base}/api/status`),
        ];
        return JSON.stringify(stripVolatile(cli)) === JSON.stringify(stripVolatile(api));
      });
    },
  ));

Deno.test({
  name:
    "once a broadcast ends the status page draws its recording as a bar on the time axis, and the gap before its next recording",
  ...withChromium,
  fn: () =>
    withRecordingPoller(
      { channels: ["web_a", "web_b"], encode: false },
      async ({ base, server }) => {
        server.end("web_a");
        await eventually("web_a finished: in the history, off the recordings", async () => {
          const page = await getJson(`${base}/api/page`) as PageData;
          return page.history.some((h) => h.user === "web_a" && h.path?.endsWith(".mp4")) &&
            !page.status.recordings.some((r) => r.user === "web_a");
        }, 300_000);
        const ended = await dumpDom(`${base}/`);
        assert.match(
          ended,
          /<rect class="bar-rect" data-user="web_a" data-file="web_a_[\d-]+_[\d-]+\.mp4"/,
        );
        assert.doesNotMatch(ended, /<rect class="bar-rect" data-user="web_b"/);
        assert.match(ended, /<rect class="bar-live" data-user="web_b"/, "web_b recording now");
        assert.deepEqual(recordingRows(ended).map((r) => r.user), ["web_b"]);
        assert.match(ended, /<tr data-user="web_a"><td>web_a_[\d-]+_[\d-]+\.mp4<\/td>/);
        await eventually("the finished recording counted", async () => {
          const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
          return families.get("twitchtool_recordings_finished_total")?.samples[0]?.value === 1;
        }, 60_000);

        // web_a comes back: a second recording, and the gap between the two is marked.
        server.goLive("web_a");
        await eventually("web_a recording again", async () => {
          const page = await getJson(`${base}/api/page`) as PageData;
          return page.status.recordings.some((r) => r.user === "web_a" && r.bytes > 0);
        }, 300_000);
        server.end("web_a");
        await eventually("two web_a recordings in the history", async () => {
          const page = await getJson(`${base}/api/page`) as PageData;
          return page.history.filter((h) => h.user === "web_a").length === 2;
        }, 300_000);
        const twice = await dumpDom(`${base}/`);
        await Deno.mkdir(ARTIFACTS_DIR, { recursive: true });
        await Deno.writeTextFile(join(ARTIFACTS_DIR, "status_page.html"), twice);
        assert.equal([...twice.matchAll(/<rect class="bar-rect" data-user="web_a"/g)].length, 2);
        assert.match(
          twice,
          /<line class="gap" data-user="web_a"[^>]*><title>gap of \d+[hms][\dhms]*<\/title>/,
        );

        const png = await screenshot(`${base}/`, "status_page.png");
        const bytes = await Deno.readFile(png);
        assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
        assert.ok(bytes.length > 20_000, `screenshot of ${bytes.length} bytes`);
        server.end("web_b");
      },
    ),
});

Deno.test("a non-loopback status page is refused without a token (exit 2) and wants the token with one", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: "hls://http://127.0.0.1:9/{user}" });
  const refused = await runCli(sandbox, ["poller", "run", "--web", "0.0.0.0:0"]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /Refusing to serve the status page on "0\.0\.0\.0:0".*web\.token/);
  const adHoc = await runCli(sandbox, ["status", "--serve", "0.0.0.0:0"]);
  assert.equal(adHoc.code, 2, adHoc.stderr);
  assert.match(adHoc.stderr, /needs "web\.token"/);

  await sandbox.writeConfig(
    defaultConfig(sandbox, "hls://http://127.0.0.1:9/{user}", `\n[web]\ntoken = "${TOKEN}"\n`),
  );
  const port = freePort();
  const serve = spawnCli(sandbox, ["status", "--serve", `0.0.0.0:${port}`]);
  try {
    const url = `http://127.0.0.1:${port}/api/status`;
    const ok = await eventually("the page answering", async () => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
        .catch(() => undefined);
      if (response?.status !== 200) {
        await response?.body?.cancel();
        return undefined;
      }
      return await response.text();
    });
    // A quiet moment (nothing runs): exactly what status --json prints.
    const cli = await runCli(sandbox, ["status", "--json"]);
    assert.equal(ok, cli.stdout);
    const denied = await fetch(url);
    await denied.body?.cancel();
    assert.equal(denied.status, 401);
    const query = await fetch(`http://127.0.0.1:${port}/metrics?token=${TOKEN}`);
    parsePrometheusText(await query.text());
    assert.equal(query.status, 200);
    const post = await fetch(`${url}?token=${TOKEN}`, { method: "POST", body: "x" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
    if (findChromium()) {
      // The page opened with ?token= carries it on its own requests.
      await using page = await BrowserPage.open(`http://127.0.0.1:${port}/?token=${TOKEN}`);
      await eventually("the page polling twice", async () =>
        (await page.evaluate<number>(
          `performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/page")).length`,
        )) >= 2, 60_000);
      const updated = await page.evaluate<string>(`document.getElementById("updated").textContent`);
      assert.match(updated, /^as of /);
    }
  } finally {
    serve.kill("SIGTERM");
    const result = await collect(serve);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(
      result.stderr + result.stdout,
      new RegExp(TOKEN),
      "the token is never printed",
    );
  }
});

Deno.test("200 stalled clients of the status page do not hold up the poller's cycles", async () => {
  const server = await startHlsServer({ endGraceMs: 1200 });
  await using sandbox = await makeSandbox();
  const usersFile = join(sandbox.home, "channels.txt");
  await sandbox.writeConfig(
    defaultConfig(
      sandbox,
      server.urlTemplate,
      pollerSection(usersFile),
    ),
  );
  await Deno.writeTextFile(usersFile, "quiet_one\n");
  const port = freePort();
  const poller = spawnCli(sandbox, ["poller", "run", "--web", `127.0.0.1:${port}`]);
  const clients: Deno.TcpConn[] = [];
  const cycles = async () =>
    JSON.parse(await Deno.readTextFile(join(sandbox.stateDir, "poller.status.json"))).cycles ??
      0 as number;
  try {
    await eventually("the page answering", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/api/status`).catch(() => undefined);
      await response?.body?.cancel();
      return response?.status === 200;
    }, 60_000);
    const encoder = new TextEncoder();
    for (let i = 0; i < 200; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      clients.push(conn);
      // A third never finish their headers, a third never send the body they announce, a
      // third ask for the page and never read the answer.
      const request = i % 3 === 0
        ? "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
        : i % 3 === 1
        ? "POST /api/status HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\nabc"
        : "GET /api/page HTTP/1.1\r\nHost: localhost\r\n\r\n";
      await conn.write(encoder.encode(request));
    }
    const before = await cycles();
    await eventually("3 more poll cycles with 200 stalled clients", async () => {
      return (await cycles()) >= before + 3;
    }, 300_000);
    // And the page still answers everyone else.
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    const families = parsePrometheusText(await response.text());
    assert.ok(families.get("twitchtool_poll_cycles_total")!.samples[0]!.value >= before);
    assert.equal(families.get("twitchtool_channel_live")!.samples[0]!.labels.user, "quiet_one");
    // Every stalled client is answered or cut off by the server's per-connection deadline.
    const closed = await Promise.race([
      Promise.all(clients.map(readUntilClosed)),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 90_000)),
    ]);
    assert.notEqual(closed, "timeout", "the server closed every stalled connection");
    const answers = (closed as string[]).map((text) =>
      /^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? "cut"
    );
    assert.deepEqual(
      [answers.filter((a) => a === "cut").length, answers.filter((a) => a === "405").length],
      [67, 67],
      "unfinished heads cut off, announced bodies refused unread",
    );
    assert.equal(answers.filter((a) => a === "200").length, 66);
  } finally {
    for (const conn of clients) {
      try {
        conn.close();
      } catch {
        // Closed by the server.
      }
    }
    await stop(poller);
    await server.close();
  }
});
