import assert from "node:assert/strict";
import type { OwnRecording } from "../state/own_recordings.ts";
import { planRetention } from "./retention_policy.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-30T12:00:00Z");

function file(user: string, daysAgo: number, bytes: number, compressed = false): OwnRecording {
  const base = `${user}_2026-06-${String(30 - daysAgo).padStart(2, "0")}_10-00-00`;
  return {
    path: `/r/${base}${compressed ? "_compressed" : ""}.mp4`,
    user,
    base,
    startedAt: NOW - daysAgo * DAY,
    bytes,
    compressed,
    stem: base,
  };
}

const none = { paths: new Set<string>(), bases: new Set<string>() };
const rules = { minFreeBytes: undefined, maxAgeDays: undefined, keepPerChannel: undefined };

Deno.test("planRetention() frees min_free oldest broadcast first, originals with an encode before the rest", () => {
  const files = [
    file("alice", 9, 100),
    file("bob", 5, 100),
    file("bob", 5, 30, true),
    file("alice", 2, 100),
  ];
  const plan = planRetention(files, none, { ...rules, minFreeBytes: 250 }, 60, NOW);
  assert.deepEqual(plan.deletions.map((d) => d.path), [
    "/r/bob_2026-06-25_10-00-00.mp4",
    "/r/alice_2026-06-21_10-00-00.mp4",
  ]);
  assert.equal(plan.freeAfter, 260);
  assert.equal(plan.shortfall, false);
});

Deno.test("planRetention() never plans a protected file and reports a shortfall", () => {
  const files = [file("alice", 9, 100), file("bob", 5, 100)];
  const protect = { paths: new Set([files[0]!.path]), bases: new Set([files[1]!.base]) };
  const plan = planRetention(files, protect, { ...rules, minFreeBytes: 1000 }, 0, NOW);
  assert.deepEqual(plan.deletions, []);
  assert.equal(plan.shortfall, true);
});

Deno.test("planRetention() applies max_age_days and keep_per_channel without a free-space goal", () => {
  const files = [
    file("alice", 20, 1),
    file("alice", 3, 1),
    file("alice", 2, 1),
    file("alice", 1, 1),
    file("bob", 1, 1),
  ];
  const plan = planRetention(files, none, { ...rules, maxAgeDays: 10, keepPerChannel: 2 }, 0, NOW);
  assert.deepEqual(plan.deletions.map((d) => [d.path, d.reason.split(" ")[0]]), [
    ["/r/alice_2026-06-10_10-00-00.mp4", "older"],
    ["/r/alice_2026-06-27_10-00-00.mp4", "more"],
  ]);
});
