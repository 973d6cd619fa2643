import assert from "node:assert/strict";
import type { OwnRecording } from "../state/own_recordings.ts";
import { carryOut, estimateFree, planRetention } from "./retention_policy.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-30T12:00:00Z");

function file(
  user: string,
  daysAgo: number,
  bytes: number,
  { compressed = false, links = 1 } = {},
): OwnRecording {
  const base = `${user}_2026-06-${String(30 - daysAgo).padStart(2, "0")}_10-00-00`;
  const path = `/r/${base}${compressed ? "_compressed" : ""}.mp4`;
  return {
    path,
    user,
    base,
    startedAt: NOW - daysAgo * DAY,
    bytes,
    identity: `1:${path}`,
    links,
    compressed,
    stem: base,
  };
}

const none = { identities: new Set<string>(), bases: new Set<string>() };
const rules = { minFreeBytes: undefined, maxAgeDays: undefined, keepPerChannel: undefined };

/** A filesystem where a file frees its size, except one with other hard links. */
function disk(files: readonly OwnRecording[]) {
  const removed: string[] = [];
  return {
    removed,
    remove: (d: { path: string }, free: number) => {
      removed.push(d.path);
      const gone = files.find((f) => f.path === d.path)!;
      return Promise.resolve(free + (gone.links > 1 ? 0 : gone.bytes));
    },
  };
}

Deno.test("planRetention() frees min_free oldest broadcast first, originals with an encode before the rest", async () => {
  const files = [
    file("alice", 9, 100),
    file("bob", 5, 100),
    file("bob", 5, 30, { compressed: true }),
    file("alice", 2, 100),
  ];
  const plan = planRetention(files, none, { ...rules, minFreeBytes: 250 }, NOW);
  const done = await carryOut(plan, 60, estimateFree);
  assert.deepEqual(done.deleted.map((d) => d.path), [
    "/r/bob_2026-06-25_10-00-00.mp4",
    "/r/alice_2026-06-21_10-00-00.mp4",
  ]);
  assert.equal(done.freeAfter, 260);
  assert.equal(done.shortfall, false);
});

Deno.test("carryOut() goes on to the next candidate when a deletion freed nothing", async () => {
  const files = [file("alice", 9, 100, { links: 2 }), file("bob", 5, 100), file("carol", 2, 100)];
  const plan = planRetention(files, none, { ...rules, minFreeBytes: 150 }, NOW);
  const fs = disk(files);
  const done = await carryOut(plan, 60, fs.remove);
  assert.deepEqual(fs.removed, [files[0]!.path, files[1]!.path]);
  assert.deepEqual(done.deleted.map((d) => d.path), fs.removed);
  assert.equal(done.freeAfter, 160);
  // The dry run's estimate knows about the hard link too.
  const dry = await carryOut(plan, 60, estimateFree);
  assert.deepEqual(dry.deleted.map((d) => d.path), fs.removed);
});

Deno.test("carryOut() skips a file it could not delete and reports the free space it was told", async () => {
  const files = [file("alice", 9, 100), file("bob", 5, 100)];
  const plan = planRetention(files, none, { ...rules, minFreeBytes: 1000 }, NOW);
  const done = await carryOut(
    plan,
    60,
    (d, free) => Promise.resolve(d.path === files[0]!.path ? undefined : free + 7),
  );
  assert.deepEqual(done.deleted.map((d) => d.path), [files[1]!.path]);
  assert.equal(done.freeAfter, 67);
  assert.equal(done.shortfall, true);
});

Deno.test("planRetention() never plans a protected file and reports a shortfall", async () => {
  const files = [file("alice", 9, 100), file("bob", 5, 100)];
  const protect = { identities: new Set([files[0]!.identity]), bases: new Set([files[1]!.base]) };
  const plan = planRetention(files, protect, { ...rules, minFreeBytes: 1000 }, NOW);
  assert.deepEqual([plan.byRule, plan.forSpace], [[], []]);
  assert.equal((await carryOut(plan, 0, estimateFree)).shortfall, true);
});

Deno.test("planRetention() applies max_age_days and keep_per_channel without a free-space goal", async () => {
  const files = [
    file("alice", 20, 1),
    file("alice", 3, 1),
    file("alice", 2, 1),
    file("alice", 1, 1),
    file("bob", 1, 1),
  ];
  const plan = planRetention(files, none, { ...rules, maxAgeDays: 10, keepPerChannel: 2 }, NOW);
  const done = await carryOut(plan, 0, estimateFree);
  assert.deepEqual(done.deleted.map((d) => [d.path, d.reason.split(" ")[0]]), [
    ["/r/alice_2026-06-10_10-00-00.mp4", "older"],
    ["/r/alice_2026-06-27_10-00-00.mp4", "more"],
  ]);
  assert.equal(done.shortfall, false);
});

Deno.test("planRetention() with uploads: uploaded files go first, a file not uploaded never", async () => {
  const old = file("alice", 9, 100);
  const middle = file("bob", 5, 100);
  const recent = file("alice", 2, 100);
  const files = [old, middle, recent];
  const uploads = { uploaded: new Set([recent.path, middle.path]), deleteUnuploaded: false };
  const plan = planRetention(
    files,
    none,
    { ...rules, minFreeBytes: 1000, maxAgeDays: 7 },
    NOW,
    uploads,
  );
  assert.deepEqual(plan.byRule, [], "max_age_days spares the old file: it is not uploaded");
  assert.deepEqual(plan.forSpace.map((d) => d.path), [middle.path, recent.path]);
  assert.deepEqual(plan.heldForUpload.map((f) => f.path), [old.path]);
  assert.deepEqual(plan.heldForSpace, []);
  const { remove, removed } = disk(files);
  const outcome = await carryOut(plan, 0, remove);
  assert.deepEqual(removed, [middle.path, recent.path]);
  assert.equal(outcome.shortfall, true);

  const allowed = planRetention(files, none, { ...rules, minFreeBytes: 1000 }, NOW, {
    ...uploads,
    deleteUnuploaded: true,
  });
  assert.deepEqual(allowed.forSpace.map((d) => d.path), [middle.path, recent.path, old.path]);
  assert.deepEqual(allowed.heldForUpload, []);
  const space = planRetention(files, none, { ...rules, minFreeBytes: 1000 }, NOW, uploads);
  assert.deepEqual(space.heldForSpace.map((f) => f.path), [old.path]);
});

Deno.test("planRetention() applies a channel's own keep and max_age_days over the global rules", () => {
  const files = [
    file("alice", 1, 10),
    file("alice", 2, 10),
    file("alice", 3, 10),
    file("bob", 1, 10),
    file("bob", 2, 10),
    file("bob", 20, 10),
  ];
  const forChannel = (user: string) =>
    user === "alice"
      ? { maxAgeDays: undefined, keepPerChannel: 1 }
      : { maxAgeDays: 10, keepPerChannel: undefined };
  const plan = planRetention(files, none, { ...rules, keepPerChannel: 5, forChannel }, NOW);
  assert.deepEqual(plan.byRule.map((d) => [d.path, d.reason]), [
    ["/r/bob_2026-06-10_10-00-00.mp4", "older than max_age_days 10"],
    ["/r/alice_2026-06-27_10-00-00.mp4", "more than keep_per_channel 1 for alice"],
    ["/r/alice_2026-06-28_10-00-00.mp4", "more than keep_per_channel 1 for alice"],
  ]);
});
