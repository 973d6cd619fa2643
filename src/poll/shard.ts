/**
 * Shards: N hosts share one users file, and each records only its part of it. A channel's
 * shard is a stable hash of its login (the first four bytes of the SHA-256 of the lower-case
 * login, big-endian, modulo N, plus one), the same on every host and in every version, so no
 * host needs to talk to another: given the same file and the same N they agree on who records
 * what. A host that is down leaves its channels unrecorded until it returns or N shrinks (which
 * moves channels between shards: see docs/uploads.md).
 */
import { createHash } from "node:crypto";
import type { UsersList } from "./users_file.ts";

/** Shard K of N. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** `"K/N"` as a shard (the config has checked its shape); `undefined` when unset. */
export function parseShard(text: string | undefined): Shard | undefined {
  const match = text === undefined ? null : /^(\d+)\/(\d+)$/.exec(text);
  if (!match) return undefined;
  return { index: Number(match[1]), count: Number(match[2]) };
}

/** The shard (1..count) of a channel. */
export function shardOf(login: string, count: number): number {
  const digest = createHash("sha256").update(login.toLowerCase()).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** The users of `list` that shard `shard` records (all of them without a shard). */
export function usersOfShard(list: UsersList, shard: Shard | undefined): UsersList {
  if (!shard) return list;
  return {
    ...list,
    users: list.users.filter((user) => shardOf(user, shard.count) === shard.index),
  };
}
