/**
 * `<state_dir>/channels.json`: each watched channel's Twitch user ID, and the renames the poller
 * followed. A login can change on Twitch, the ID cannot: with the ID kept, a channel that renames
 * itself is followed to its new login instead of silently dropping out as "unknown".
 */
import { join } from "node:path";
import { isJsonObject } from "../util/is_json_object.ts";
import { readJsonFile, writeJsonAtomic } from "./atomic_write.ts";

/** A rename the poller followed. */
export interface ChannelRename {
  readonly from: string;
  readonly to: string;
  readonly id: string;
  readonly at: string;
}

/** The file's content. */
export interface ChannelIds {
  /** Login to Twitch user ID. */
  readonly ids: Readonly<Record<string, string>>;
  /** Followed renames, oldest first. */
  readonly renames: readonly ChannelRename[];
}

/** Where the file lives. */
export function channelIdsPath(stateDir: string): string {
  return join(stateDir, "channels.json");
}

/** The file's content; empty when it is missing or unreadable (it is relearned from the API). */
export async function readChannelIds(stateDir: string): Promise<ChannelIds> {
  const raw = await readJsonFile(channelIdsPath(stateDir)).catch(() => undefined);
  if (!isJsonObject(raw)) return { ids: {}, renames: [] };
  const ids: Record<string, string> = {};
  if (isJsonObject(raw.ids)) {
    for (const [login, id] of Object.entries(raw.ids)) if (typeof id === "string") ids[login] = id;
  }
  const renames = Array.isArray(raw.renames)
    ? raw.renames.filter((r): r is ChannelRename =>
      isJsonObject(r) && typeof r.from === "string" && typeof r.to === "string" &&
      typeof r.id === "string" && typeof r.at === "string"
    )
    : [];
  return { ids, renames };
}

/** Writes the file atomically. */
export function writeChannelIds(stateDir: string, content: ChannelIds): Promise<void> {
  return writeJsonAtomic(channelIdsPath(stateDir), content);
}

/**
 * The login `name` answers to now, following renames in order (`a` renamed `b`, then `b`
 * renamed `c`: `a` is `c`). Names never renamed are themselves.
 */
export function currentLogin(
  renames: readonly Pick<ChannelRename, "from" | "to">[],
  name: string,
): string {
  let login = name.toLowerCase();
  for (const rename of renames) if (rename.from === login) login = rename.to;
  return login;
}
