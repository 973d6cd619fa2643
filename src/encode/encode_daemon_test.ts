import assert from "node:assert/strict";
import { join } from "node:path";
import { LowDiskError } from "../errors.ts";
import type { MediaInfo } from "../proc/ffprobe.ts";
import type { Child } from "../proc/spawn.ts";
import { jobsDir, runningDir, stampOf } from "../state/job_queue.ts";
import { systemClock } from "../util/clock.ts";
import type { EncoderStatus } from "../state/daemon_status.ts";
import { EncodeDaemon, type EncodeDaemonDeps } from "./encode_daemon.ts";
import { PauseController } from "./pause_controller.ts";
import { Notifier } from "../notify/notifier.ts";
import { drainNotifications, installNotifier } from "../notify/notify.ts";
import { parseNotifyUrl } from "../notify/notify_url.ts";
import { startNotifySink } from "../../testing/notify_sink.ts";
import { partialPath, type TranscodeOptions, type TranscodeRequest } from "./transcode_file.ts";
import { eventually } from "../../testing/eventually.ts";
import { FAST_ENCODE_SETTINGS } from "../../testing/fast_encode_settings.ts";

interface Harness extends AsyncDisposable {
  readonly dir: string;
  readonly queueDir: string;
  readonly statuses: EncoderStatus[];
  readonly encoded: string[];
  addJob(
    name: string,
    created_at: string,
    options?: { deleteInput?: boolean; input?: boolean },
  ): Promise<{ input: string; output: string }>;
  deps(overrides?: Partial<EncodeDaemonDeps>): EncodeDaemonDeps;
}

/** A queue in a temp dir and a fake transcoder that writes its output and records the order. */
async function harness(): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "encode-daemon-test-" });
  const queueDir = join(dir, "queue");
  await Deno.mkdir(jobsDir(queueDir), { recursive: true });
  const statuses: EncoderStatus[] = [];
  const encoded: string[] = [];
  const probe = async (path: string): Promise<MediaInfo | undefined> => {
    try {
      await Deno.stat(path);
      return { duration: 4, streams: [{ codec_type: "video", codec_name: "h264" }] };
    } catch {
      return undefined;
    }
  };
  const transcode = async (request: TranscodeRequest, options: TranscodeOptions) => {
    encoded.push(request.input);
    options.onStart?.({ pid: 99, signal: () => {} } as unknown as Child);
    options.onProgress?.({ outSeconds: 2, percent: 50, speed: 2, etaSeconds: 1, done: false });
    // Long enough for the status ticker (every 5 ms here) to publish the progress.
    await new Promise((resolve) => setTimeout(resolve, 30));
    await Deno.writeTextFile(request.output, "encoded");
    return { status: "done" as const, output: request.output, duration: 4 };
  };
  return {
    dir,
    queueDir,
    statuses,
    encoded,
    async addJob(name, created_at, options = {}) {
      const input = join(dir, `${name}.mp4`);
      const output = join(dir, `${name}_compressed.mp4`);
      if (options.input ?? true) await Deno.writeTextFile(input, "recording");
      await Deno.writeTextFile(
        join(jobsDir(queueDir), `${name}.json`),
        JSON.stringify({
          input,
          output,
          created_at,
          delete_input_on_success: options.deleteInput ?? false,
        }),
      );
      return { input, output };
    },
    deps: (overrides = {}) => ({
      clock: systemClock,
      writeStatus: (status) => {
        statuses.push(status);
        return Promise.resolve();
      },
      transcode,
      pause: new PauseController({ isCapturing: () => Promise.resolve(false) }),
      lowPriority: { nice: false, ionice: false },
      freeBytes: () => Promise.resolve(1e12),
      probe,
      ...overrides,
    }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const options = (queueDir: string, exitWhenEmpty = true) => ({
  queueDir,
  settings: FAST_ENCODE_SETTINGS,
  diskFreeMinBytes: 1024,
  exitWhenEmpty,
  idlePollMs: 5,
  lowDiskRetryMs: 5,
  statusEveryMs: 5,
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("EncodeDaemon runs jobs oldest first and deletes an input only when asked", async () => {
  await using h = await harness();
  const late = await h.addJob("a-late", "2024-01-01T12:00:00Z");
  const early = await h.addJob("b-early", "2024-01-01T08:00:00Z", { deleteInput: true });
  const middle = await h.addJob("c-middle", "2024-01-01T10:00:00Z");
  const summary = await new EncodeDaemon(options(h.queueDir), h.deps()).run(
    new AbortController().signal,
  );
  assert.deepEqual(summary, { done: 3, failed: 0, invalid: 0 });
  assert.deepEqual(h.encoded, [early.input, middle.input, late.input]);
  assert.equal(await exists(early.input), false);
  assert.equal(await exists(middle.input), true);
  for (const job of [early, middle, late]) assert.equal(await exists(job.output), true);
  assert.deepEqual([...Deno.readDirSync(jobsDir(h.queueDir))], []);
  const encoding = h.statuses.find((s) => s.current_job?.percent === 50);
  assert.equal(encoding?.state, "encoding");
  assert.equal(encoding?.current_job?.ffmpeg_pid, 99);
  assert.equal(h.statuses.at(-1)?.state, "idle");
  assert.equal(h.statuses.at(-1)?.current_job, null);
});

Deno.test("EncodeDaemon fails a job whose input is missing and goes on", async () => {
  await using h = await harness();
  await h.addJob("gone", "2024-01-01T08:00:00Z", { input: false });
  const ok = await h.addJob("ok", "2024-01-01T09:00:00Z");
  const summary = await new EncodeDaemon(options(h.queueDir), h.deps()).run(
    new AbortController().signal,
  );
  assert.deepEqual(summary, { done: 1, failed: 1, invalid: 0 });
  assert.deepEqual(h.encoded, [ok.input]);
  const sidecar = JSON.parse(
    await Deno.readTextFile(join(jobsDir(h.queueDir), "gone.error.json")),
  );
  assert.match(sidecar.error, /gone\.mp4" does not exist/);
  assert.ok(await exists(join(jobsDir(h.queueDir), "gone.failed.json")));
});

Deno.test("EncodeDaemon starts nothing on low disk and keeps the job queued", async () => {
  await using h = await harness();
  await h.addJob("a", "2024-01-01T08:00:00Z");
  const stop = new AbortController();
  const deps = h.deps({ freeBytes: () => Promise.resolve(10) });
  const running = new EncodeDaemon(options(h.queueDir, false), deps).run(stop.signal);
  await eventually("low-disk status", () => h.statuses.some((s) => s.state === "low-disk"), {
    everyMs: 5,
    timeoutMs: 10_000,
  });
  stop.abort();
  await running;
  assert.deepEqual(h.encoded, []);
  assert.ok(await exists(join(jobsDir(h.queueDir), "a.json")));
  await assert.rejects(
    () => new EncodeDaemon(options(h.queueDir, true), deps).run(new AbortController().signal),
    LowDiskError,
  );
  assert.ok(await exists(join(jobsDir(h.queueDir), "a.json")));
});

Deno.test("EncodeDaemon puts the job back when stopped mid-encode", async () => {
  await using h = await harness();
  await h.addJob("a", "2024-01-01T08:00:00Z");
  const stop = new AbortController();
  const deps = h.deps({
    transcode: async (_request, transcodeOptions) => {
      await new Promise((resolve) =>
        transcodeOptions.signal?.addEventListener("abort", resolve, { once: true })
      );
      return { status: "aborted" as const };
    },
  });
  const running = new EncodeDaemon(options(h.queueDir, false), deps).run(stop.signal);
  await eventually("encoding status", () => h.statuses.some((s) => s.state === "encoding"), {
    everyMs: 5,
    timeoutMs: 10_000,
  });
  assert.deepEqual([...Deno.readDirSync(runningDir(h.queueDir))].map((e) => e.name), ["a.json"]);
  stop.abort();
  assert.deepEqual(await running, { done: 0, failed: 0, invalid: 0 });
  assert.ok(await exists(join(jobsDir(h.queueDir), "a.json")));
  assert.deepEqual([...Deno.readDirSync(runningDir(h.queueDir))], []);
});

Deno.test("EncodeDaemon recovers a killed daemon's job and removes its partial output", async () => {
  await using h = await harness();
  const job = await h.addJob("a", "2024-01-01T08:00:00Z");
  await Deno.mkdir(runningDir(h.queueDir));
  await Deno.rename(join(jobsDir(h.queueDir), "a.json"), join(runningDir(h.queueDir), "a.json"));
  await Deno.writeTextFile(partialPath(job.output), "half");
  let partialAtEncode: boolean | undefined;
  const deps = h.deps();
  const summary = await new EncodeDaemon(options(h.queueDir), {
    ...deps,
    transcode: async (request, transcodeOptions) => {
      partialAtEncode = await exists(partialPath(job.output));
      return await deps.transcode(request, transcodeOptions);
    },
  }).run(new AbortController().signal);
  assert.deepEqual(summary, { done: 1, failed: 0, invalid: 0 });
  assert.equal(partialAtEncode, false);
  assert.ok(await exists(job.output));
});

Deno.test("EncodeDaemon completes a job whose journaled output exists, fails on any other output", async () => {
  await using h = await harness();
  const done = await h.addJob("done", "2024-01-01T08:00:00Z", { deleteInput: true });
  await Deno.writeTextFile(done.output, "installed by an earlier run");
  const stamp = await stampOf(done.output);
  const jobFile = join(jobsDir(h.queueDir), "done.json");
  const job = JSON.parse(await Deno.readTextFile(jobFile));
  await Deno.writeTextFile(jobFile, JSON.stringify({ ...job, encoded_output: stamp }));
  // The earlier run died after deleting the input, before removing the job.
  await Deno.remove(done.input);
  const foreign = await h.addJob("foreign", "2024-01-01T09:00:00Z", { deleteInput: true });
  await Deno.writeTextFile(foreign.output, "some other video of the same length");
  const summary = await new EncodeDaemon(options(h.queueDir), h.deps()).run(
    new AbortController().signal,
  );
  assert.deepEqual(summary, { done: 1, failed: 1, invalid: 0 });
  assert.deepEqual(h.encoded, []);
  assert.equal(await Deno.readTextFile(done.output), "installed by an earlier run");
  assert.equal(await Deno.readTextFile(foreign.output), "some other video of the same length");
  assert.equal(await Deno.readTextFile(foreign.input), "recording", "the input stays");
  const sidecar = JSON.parse(
    await Deno.readTextFile(join(jobsDir(h.queueDir), "foreign.error.json")),
  );
  assert.match(sidecar.error, /already exists and was not written by this encoder/);
});

Deno.test("EncodeDaemon notifies encode_finished with the size ratio and encode_failed with the reason", async () => {
  await using h = await harness();
  await using sink = startNotifySink();
  installNotifier(
    new Notifier({
      targets: [parseNotifyUrl(`json://127.0.0.1:${sink.port}/hook`)],
      events: ["encode_finished", "encode_failed"],
      giveUpAfterMs: 1000,
      clock: systemClock,
      send: { fetch, apprise: () => Promise.resolve(), timeoutMs: 2000 },
      stateDir: join(h.queueDir, "state"),
      role: "write",
    }),
  );
  try {
    const good = await h.addJob("a-good", "2024-01-01T08:00:00Z");
    const gone = await h.addJob("b-gone", "2024-01-01T09:00:00Z", { input: false });
    await new EncodeDaemon(options(h.queueDir), h.deps()).run(new AbortController().signal);
    await drainNotifications();
    // Deliveries run concurrently: order by event name, not by arrival.
    const byName = sink.json("/hook").sort((a, b) => String(a.event) < String(b.event) ? 1 : -1);
    const [finished, failed, ...rest] = byName;
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [finished!.event, finished!.input, finished!.output, finished!.bytes, finished!.size_ratio],
      ["encode_finished", good.input, good.output, 7, 0.778],
    );
    assert.deepEqual([failed!.event, failed!.input], ["encode_failed", gone.input]);
    assert.ok(String(failed!.reason).length > 0);
  } finally {
    installNotifier(undefined);
  }
});
