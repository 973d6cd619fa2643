/**
 * Follows channels through renames on Twitch. The API detectors tell each login's user ID; the
 * IDs are kept in `<state_dir>/channels.json` (state/channel_ids.ts). When a login stops
 * resolving and its ID answers to a new login, the poller watches the new login from then on
 * (the users file keeps the old one unless `[poller] follow_renames = "rewrite"`), so the next
 * broadcast is recorded under the new name instead of being missed without a word.
 */
import { getLogger } from "@logtape/logtape";
import {
  type ChannelIds,
  type ChannelRename,
  currentLogin,
  readChannelIds,
  writeChannelIds,
} from "../state/channel_ids.ts";

const log = getLogger(["twitchtool", "poll"]);

/** Asks the API which login each user ID answers to now. */
export type LoginsOf = (ids: readonly string[]) => Promise<Map<string, string>>;

/** The IDs and renames the poller knows (see the module doc). */
export class ChannelRenames {
  #state: ChannelIds;

  private constructor(private readonly stateDir: string, state: ChannelIds) {
    this.#state = state;
  }

  static async load(stateDir: string): Promise<ChannelRenames> {
    return new ChannelRenames(stateDir, await readChannelIds(stateDir));
  }

  /** Renames followed so far, oldest first. */
  get renames(): readonly ChannelRename[] {
    return this.#state.renames;
  }

  /** The logins to watch for the users file's names (renamed ones under their new login). */
  current(users: readonly string[]): string[] {
    return [...new Set(users.map((user) => currentLogin(this.#state.renames, user)))];
  }

  /** Keeps the IDs an API answer told; writes the file only when something is new. */
  async learn(ids: ReadonlyMap<string, string>): Promise<void> {
    const known = this.#state.ids;
    const fresh = [...ids].filter(([login, id]) => known[login] !== id);
    if (fresh.length === 0) return;
    this.#state = { ...this.#state, ids: { ...known, ...Object.fromEntries(fresh) } };
    await writeChannelIds(this.stateDir, this.#state);
  }

  /**
   * The renames among `unknown` logins: those with a known ID that now answers to another
   * login. Each is recorded (file and log) before it is returned.
   */
  async follow(
    unknown: readonly string[],
    loginsOf: LoginsOf,
    now: Date,
  ): Promise<ChannelRename[]> {
    const asked = unknown.filter((login) => this.#state.ids[login] !== undefined);
    if (asked.length === 0) return [];
    const logins = await loginsOf(asked.map((login) => this.#state.ids[login]!));
    const found: ChannelRename[] = [];
    for (const from of asked) {
      const id = this.#state.ids[from]!;
      const to = logins.get(id);
      if (!to || to === from) continue;
      found.push({ from, to, id, at: now.toISOString() });
      log.warn("Channel {from} is now {to} on Twitch (user ID {id}): recording it as {to}", {
        from,
        to,
        id,
      });
    }
    if (found.length === 0) return [];
    const ids = { ...this.#state.ids };
    for (const rename of found) {
      delete ids[rename.from];
      ids[rename.to] = rename.id;
    }
    this.#state = { ids, renames: [...this.#state.renames, ...found] };
    await writeChannelIds(this.stateDir, this.#state);
    return found;
  }
}
