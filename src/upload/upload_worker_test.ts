import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import {
  enqueueUpload,
  listPendingUploads,
  pendingUploadsDir,
  readUploaded,
} from "../state/upload_queue.ts";
import { eventually } from "../../testing/eventually.ts";
import { watchDirectory } from "../util/watch_directory.ts";
import type { UploadStatus } from "../state/upload_queue.ts";
import type { RcloneResult, RunRclone } from "./run_rclone.ts";
import type { UploadSettings } from "./upload_settings.ts";
import { UploadWorker, type UploadWorkerDeps, type UploadWorkerOptions } from "./upload_worker.ts";

const SETTINGS: UploadSettings = {
  remote: "r:",
  deleteLocal: true,
  what: ["recording"],
  pathTemplate: "{file}",
  extraArgs: [],
  host: "h",
};

const DOWN =
  "2026/12/07 10:00:00 Failed to copyto: dial tcp 127.0.0.1:9: connect: connection refused";
const AUTH = "2026/12/07 10:00:00 Failed to copyto: Unauthorized: 401 Unauthorized";

/**
 * rclone as a script: each `copyto` takes the next answer (an stderr line means failure, else
 * it succeeds); `lsjson` reports the local file's size and sha256, as a remote with hashes does;
 * `hashsum` of the local file answers its hash.
 */
function scripted(copies: (string | undefined)[], bytes: Uint8Array): RunRclone {
  return (args) => {
    const done = (code: number, stdout = "", stderr = ""): Promise<RcloneResult> =>
      Promise.resolve({ code, stdout, stderr });
    if (args[0] === "copyto") {
      const failure = copies.shift();
      return failure === undefined ? done(0) : done(1, "", failure);
    }
    if (args[0] === "hashsum") return done(0, localHashsum(args, bytes));
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    return done(0, JSON.stringify({ Size: bytes.length, Hashes: { sha256 } }));
  };
}

/** `rclone hashsum <type> <local file>`'s answer for a local file of `bytes`. */
function localHashsum(args: readonly string[], bytes: Uint8Array): string {
  return `${createHash(args[1]!).update(bytes).digest("hex")}  ${args[2]}`;
}

const LOCAL_NAME = "alice_2026-12-07_10-00-00.mp4";

/** Queues `local` as alice's recording, as a finished session does. */
async function queueRecording(dir: string, local: string): Promise<void> {
  await enqueueUpload(dir, {
    local,
    dest: LOCAL_NAME,
    user: "alice",
    kind: "recording",
    queued_at: "2026-12-07T10:00:00.000Z",
  });
}

/** A queue in a fresh temp folder holding one recording of 1000 bytes. */
async function setUp() {
  const dir = await Deno.makeTempDir();
  const local = join(dir, LOCAL_NAME);
  const bytes = new Uint8Array(1000).fill(3);
  await Deno.writeFile(local, bytes);
  await queueRecording(dir, local);
  return { dir, local, bytes };
}

/**
 * A worker on the queue in `dir` that runs until the queue is empty, never really sleeps and
 * keeps its statuses nowhere, unless `deps` or `options` say otherwise.
 */
function workerIn(
  dir: string,
  deps: Partial<UploadWorkerDeps> & Pick<UploadWorkerDeps, "run">,
  options: Partial<UploadWorkerOptions> = {},
): UploadWorker {
  return new UploadWorker(SETTINGS, { queueDir: dir, untilEmpty: true, ...options }, {
    transferLock: join(dir, "transfer.lock"),
    sleep: () => Promise.resolve(),
    writeStatus: () => Promise.resolve(),
    ...deps,
  });
}

Deno.test("UploadWorker retries a transient failure with back-off, then settles and deletes", async () => {
  const { dir, local, bytes } = await setUp();
  try {
    const waits: number[] = [];
    const statuses: UploadStatus[] = [];
    const worker = workerIn(dir, {
      run: scripted([DOWN, DOWN, DOWN], bytes),
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
      writeStatus: (status) => Promise.resolve(void statuses.push(status)),
    });
    assert.equal(await worker.run(new AbortController().signal), "empty");
    assert.deepEqual(waits, [5_000, 10_000, 20_000]);
    assert.ok(statuses.some((s) => s.state === "retrying" && /connection refused/.test(s.error!)));
    assert.equal(statuses.at(-1)?.state, "idle");
    assert.equal(statuses.at(-1)?.failed_total, 3);
    assert.equal(await Deno.stat(local).then(() => true, () => false), false);
    assert.equal((await readUploaded(dir, local))?.local_deleted, true);
    assert.deepEqual(await listPendingUploads(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UploadWorker stops on refused credentials, keeps the file, and tries again later", async () => {
  const { dir, local, bytes } = await setUp();
  try {
    const waits: number[] = [];
    const statuses: UploadStatus[] = [];
    const controller = new AbortController();
    const worker = workerIn(
      dir,
      {
        run: scripted([AUTH, AUTH], bytes),
        sleep: (ms) => {
          waits.push(ms);
          // Idle once the file is through: the test is over.
          if (ms !== 600_000) controller.abort();
          return Promise.resolve();
        },
        writeStatus: (status) => Promise.resolve(void statuses.push(status)),
      },
      { untilEmpty: false, stoppedRetryMs: 600_000 },
    );
    assert.equal(await worker.run(controller.signal), "aborted");
    assert.deepEqual(waits, [600_000, 600_000, 15_000]);
    const stopped = statuses.filter((s) => s.state === "stopped");
    assert.equal(stopped.length, 2);
    assert.match(stopped[0]!.error!, /^Credentials refused: Failed to copyto: .*401/);
    assert.equal((await readUploaded(dir, local))?.bytes, 1000, "arrived on the third try");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UploadWorker, when the copy checked no hash, compares the one hash the remote supports", async () => {
  const { dir, local, bytes } = await setUp();
  try {
    const md5 = createHash("md5").update(bytes).digest("hex");
    const asked: string[][] = [];
    // A remote with md5 only (as S3): it answers with the hashes asked for that it has.
    const run: RunRclone = (args) => {
      const done = (stdout = ""): Promise<RcloneResult> =>
        Promise.resolve({ code: 0, stdout, stderr: "" });
      if (args[0] === "backend") return done(JSON.stringify({ Hashes: ["md5", "crc32"] }));
      if (args[0] === "hashsum") return done(localHashsum(args, bytes));
      if (args[0] !== "lsjson") return done();
      const types = args.flatMap((arg, index) => args[index - 1] === "--hash-type" ? [arg] : []);
      asked.push(types);
      const hashes = types.includes("md5") ? { md5 } : {};
      return done(JSON.stringify({ Size: bytes.length, Hashes: hashes }));
    };
    const worker = workerIn(dir, { run });
    assert.equal(await worker.run(new AbortController().signal), "empty");
    assert.equal((await readUploaded(dir, local))?.checked, `md5:${md5}`);
    assert.deepEqual(asked, [["md5"]], "one hash asked of the remote, not three");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UploadWorker, idle, starts a newly queued file when the queue folder changes", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  try {
    const pending = pendingUploadsDir(dir);
    await Deno.mkdir(pending, { recursive: true });
    const local = join(dir, LOCAL_NAME);
    const bytes = new Uint8Array(1000).fill(5);
    await Deno.writeFile(local, bytes);
    const statuses: UploadStatus[] = [];
    // The idle wait never ends by itself: only a change in the queue can end it.
    const forever = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    const worker = workerIn(dir, {
      run: scripted([], bytes),
      sleep: forever,
      writeStatus: (status) => Promise.resolve(void statuses.push(status)),
      queueChanges: (signal) => watchDirectory(pending, signal),
    }, { untilEmpty: false });
    const running = worker.run(controller.signal);
    await eventually("the worker idle", () => statuses.some((s) => s.state === "idle"));
    await queueRecording(dir, local);
    await eventually(
      "the file uploaded",
      async () => (await readUploaded(dir, local)) !== undefined,
    );
    assert.equal(await Deno.stat(local).then(() => true, () => false), false, "delete_local");
    controller.abort();
    assert.equal(await running, "aborted");
  } finally {
    controller.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A remote with md5 (as SFTP with a shell) whose `copyto` logs its own check of the copy of the
 * next file of `checkedFiles` (then refuses the credentials); a listing gives the size only and a
 * read-back fails, so only the copy's check of the right file can settle it.
 */
function loggingCopies(checkedFiles: string[], md5: string, size: number): RunRclone {
  return (args, options) => {
    const done = (code: number, stdout = "", stderr = ""): Promise<RcloneResult> =>
      Promise.resolve({ code, stdout, stderr });
    if (args[0] === "backend") return done(0, JSON.stringify({ Hashes: ["md5", "sha1"] }));
    if (args[0] === "lsjson") return done(0, JSON.stringify({ Size: size }));
    if (args[0] !== "copyto") return done(1, "", "Failed to hashsum: not expected");
    const file = checkedFiles.shift();
    if (file === undefined) return done(1, "", AUTH); // the script is over: the queue stops
    options?.onStderr?.(
      `{"level":"debug","msg":"md5 = ${md5} OK","object":"${file}","objectType":"*local.Object","source":"operations/operations.go:116"}`,
    );
    return done(0);
  };
}

Deno.test("UploadWorker settles on rclone copyto's own hash check of that file, without a read-back", async () => {
  const { dir, local, bytes } = await setUp();
  try {
    const md5 = createHash("md5").update(bytes).digest("hex");
    const statuses: UploadStatus[] = [];
    const keptAtRetry: boolean[] = [];
    const worker = workerIn(dir, {
      // The first copy's log checks another file: not a check of this one.
      run: loggingCopies(["bob_2026-12-07_10-00-00.mp4", basename(local)], md5, bytes.length),
      sleep: async () =>
        void keptAtRetry.push(await Deno.stat(local).then(() => true, () => false)),
      writeStatus: (status) => Promise.resolve(void statuses.push(status)),
    });
    assert.equal(await worker.run(new AbortController().signal), "empty");
    assert.deepEqual(keptAtRetry, [true], "kept while no check of this file was seen");
    assert.ok(statuses.some((s) => s.state === "retrying" && /not expected/.test(s.error!)));
    assert.equal((await readUploaded(dir, local))?.checked, `md5:${md5}`);
    assert.equal((await readUploaded(dir, local))?.local_deleted, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
