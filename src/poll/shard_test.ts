import assert from "node:assert/strict";
import { parseShard, shardOf, usersOfShard } from "./shard.ts";

Deno.test("shardOf() is stable, case-blind, and the shards split a list without overlap", () => {
  // Fixed values: a change of the hash would move channels between running hosts.
  assert.deepEqual(["alice", "Bob", "CAROL", "dave"].map((user) => shardOf(user, 3)), [2, 1, 3, 1]);
  const users = Array.from({ length: 300 }, (_, i) => `channel_${i}`);
  const parts = [1, 2, 3].map((index) =>
    usersOfShard({ users, invalid: [] }, { index, count: 3 }).users
  );
  assert.equal(parts.flat().length, users.length);
  assert.deepEqual([...parts.flat()].sort(), [...users].sort());
  for (const part of parts) assert.ok(part.length > 60, `a fair share: ${part.length}`);
});

Deno.test("parseShard() reads K/N; no shard keeps every user", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.equal(parseShard(undefined), undefined);
  const list = { users: ["a_1", "b_2"], invalid: [] };
  assert.equal(usersOfShard(list, undefined), list);
});
