import assert from "node:assert/strict";
import { join } from "node:path";
import {
  countPendingJobs,
  enqueueJob,
  failJob,
  jobsDir,
  listQueue,
  parseJob,
  purgeFailedJobs,
  recoverClaimedJobs,
  releaseJob,
  runningDir,
  takeNextJob,
} from "./job_queue.ts";

async function tempQueue(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "job-queue-test-" });
  await Deno.mkdir(join(dir, "jobs"));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

async function writeJob(queueDir: string, name: string, job: unknown, mtime?: Date) {
  const path = join(jobsDir(queueDir), name);
  await Deno.writeTextFile(path, typeof job === "string" ? job : JSON.stringify(job));
  if (mtime) await Deno.utime(path, mtime, mtime);
  return path;
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}

const job = (input: string, created_at: string) => ({
  input,
  output: input.replace(/\.mp4$/, "_compressed.mp4"),
  created_at,
  delete_input_on_success: false,
});
const OLD = new Date("2020-01-01T00:00:00Z");

Deno.test("listQueue() orders by created_at, then by name, and changes nothing", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "c.json", job("/v/c.mp4", "2024-01-01T10:00:00Z"));
  await writeJob(queue.dir, "b.json", job("/v/b.mp4", "2024-01-01T09:00:00Z"));
  await writeJob(queue.dir, "a.json", job("/v/a.mp4", "2024-01-01T10:00:00Z"));
  await writeJob(queue.dir, "broken.json", "{", OLD);
  const before = await names(jobsDir(queue.dir));
  const { pending, failed } = await listQueue(queue.dir);
  assert.deepEqual(pending.map((j) => j.input), ["/v/b.mp4", "/v/a.mp4", "/v/c.mp4"]);
  assert.deepEqual(failed, []);
  assert.deepEqual(await names(jobsDir(queue.dir)), before);
});

Deno.test("listQueue() lists a claimed job first, marked running", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "a.json", job("/v/a.mp4", "2024-01-01T10:00:00Z"));
  await writeJob(queue.dir, "b.json", job("/v/b.mp4", "2024-01-01T11:00:00Z"));
  const claim = await takeNextJob(queue.dir, { now: new Date() });
  assert.equal(claim?.job.input, "/v/a.mp4");
  const { pending } = await listQueue(queue.dir);
  assert.deepEqual(pending.map((j) => [j.input, j.running ?? false]), [
    ["/v/a.mp4", true],
    ["/v/b.mp4", false],
  ]);
  assert.equal(pending[0]?.path, join(runningDir(queue.dir), "a.json"));
});

Deno.test("parseJob() reads the original tool's in/out keys and epoch created_at", () => {
  const parsed = parseJob(
    JSON.stringify({ in: "/v/x.mp4", out: "/v/y.mp4", created_at: 1.7e9 }),
    OLD,
  );
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.job, {
    input: "/v/x.mp4",
    output: "/v/y.mp4",
    created_at: new Date(1.7e12).toISOString(),
    delete_input_on_success: false,
  });
  const noDate = parseJob(JSON.stringify({ in: "/v/x.mp4", out: "/v/y.mp4" }), OLD);
  assert.ok(noDate.ok);
  assert.equal(noDate.job.created_at, OLD.toISOString());
});

Deno.test("parseJob() rejects relative paths, same input and output, bad types", () => {
  const reasons = [
    { input: "x.mp4", output: "/v/y.mp4" },
    { input: "/v/x.mp4", output: "/v/x.mp4" },
    { input: "/v/x.mp4", output: "/v/y.mp4", created_at: "yesterday" },
    { input: "/v/x.mp4", output: "/v/y.mp4", delete_input_on_success: "yes" },
    [1, 2],
  ].map((value) => parseJob(JSON.stringify(value), OLD));
  for (const parsed of reasons) assert.equal(parsed.ok, false, JSON.stringify(parsed));
  const notJson = parseJob('{"input":', OLD);
  assert.ok(!notJson.ok && notJson.reason.startsWith("not valid JSON"));
});

Deno.test("takeNextJob() moves corrupt files aside but skips one still being written", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "0-corrupt.json", '{"input": "/v/', OLD);
  await writeJob(queue.dir, "1-fresh.json", '{"input"', new Date());
  await writeJob(queue.dir, "2-good.json", job("/v/good.mp4", "2099-01-01T00:00:00Z"));
  const invalid: string[] = [];
  const claim = await takeNextJob(queue.dir, {
    now: new Date(),
    onInvalid: (found) => invalid.push(found.reason),
  });
  assert.equal(claim?.job.input, "/v/good.mp4");
  assert.equal(invalid.length, 1);
  assert.deepEqual(await names(jobsDir(queue.dir)), ["0-corrupt.invalid.json", "1-fresh.json"]);
  assert.deepEqual(await names(runningDir(queue.dir)), ["2-good.json"]);
  assert.equal(await countPendingJobs(queue.dir), 1);
});

Deno.test("recoverClaimedJobs() puts a crashed daemon's job back in the queue", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "a.json", job("/v/a.mp4", "2024-01-01T10:00:00Z"));
  const claim = await takeNextJob(queue.dir, { now: new Date() });
  assert.ok(claim);
  assert.deepEqual(await names(jobsDir(queue.dir)), []);
  const recovered = await recoverClaimedJobs(queue.dir);
  assert.deepEqual(recovered.map((j) => j.input), ["/v/a.mp4"]);
  assert.deepEqual(await names(jobsDir(queue.dir)), ["a.json"]);
  assert.deepEqual(await names(runningDir(queue.dir)), []);
});

Deno.test("releaseJob() never overwrites a job that took the same name meanwhile", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "a.json", job("/v/a.mp4", "2024-01-01T10:00:00Z"));
  const claim = await takeNextJob(queue.dir, { now: new Date() });
  assert.ok(claim);
  await writeJob(queue.dir, "a.json", job("/v/other.mp4", "2024-01-01T10:00:00Z"));
  await releaseJob(claim);
  assert.deepEqual(await names(jobsDir(queue.dir)), ["a-1.json", "a.json"]);
});

Deno.test("failJob() writes the reason beside the job and listQueue() reports it", async () => {
  await using queue = await tempQueue();
  await writeJob(queue.dir, "a.json", job("/v/a.mp4", "2024-01-01T10:00:00Z"));
  const claim = await takeNextJob(queue.dir, { now: new Date() });
  assert.ok(claim);
  const path = await failJob(claim, 'Input "/v/a.mp4" does not exist', new Date());
  assert.equal(path, join(jobsDir(queue.dir), "a.failed.json"));
  assert.deepEqual(await names(jobsDir(queue.dir)), ["a.error.json", "a.failed.json"]);
  const { pending, failed } = await listQueue(queue.dir);
  assert.equal(pending.length, 0);
  assert.equal(failed[0]?.error, 'Input "/v/a.mp4" does not exist');
  assert.equal(await takeNextJob(queue.dir, { now: new Date() }), undefined);
});

Deno.test("purgeFailedJobs() removes failures older than 7 days only", async () => {
  await using queue = await tempQueue();
  const now = new Date("2024-06-10T00:00:00Z");
  for (const [name, daysAgo] of [["old", 8], ["recent", 6]] as const) {
    await writeJob(queue.dir, `${name}.json`, job(`/v/${name}.mp4`, "2024-01-01T00:00:00Z"));
    const claim = await takeNextJob(queue.dir, { now });
    assert.ok(claim);
    await failJob(claim, "boom", new Date(now.getTime() - daysAgo * 86_400_000));
  }
  const removed = await purgeFailedJobs(queue.dir, now);
  assert.deepEqual(removed, [join(jobsDir(queue.dir), "old.failed.json")]);
  assert.deepEqual(await names(jobsDir(queue.dir)), ["recent.error.json", "recent.failed.json"]);
});

Deno.test("enqueueJob() output is read back by takeNextJob()", async () => {
  await using queue = await tempQueue();
  const first = job("/v/rec.mp4", "2024-01-01T10:00:00.000Z");
  await enqueueJob(queue.dir, first);
  await enqueueJob(queue.dir, { ...first, input: "/v/rec2.mp4" });
  const claim = await takeNextJob(queue.dir, { now: new Date() });
  assert.deepEqual(claim?.job, first);
});

Deno.test("enqueueJob() keeps finalize's fallback note so listQueue() (and status) can show it", async () => {
  await using queue = await tempQueue();
  await enqueueJob(queue.dir, {
    input: "/rec/a.ts",
    output: "/rec/a_compressed.mp4",
    created_at: "2024-01-01T00:00:00.000Z",
    delete_input_on_success: false,
    note: "no verified .mp4 could be made: the mp4 1 video packet(s) squashed together",
  });
  const [listed] = (await listQueue(queue.dir)).pending;
  assert.match(listed?.note ?? "", /no verified \.mp4/);
});
