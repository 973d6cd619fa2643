/**
 * Title and game of the broadcasts this process records, as the poller's detector last saw
 * them. The detector runs in the poll loop and the recording in a capture session; this small
 * registry joins the two without threading a channel through the poller, the session host and
 * the capture session: the poll loop reports, a session subscribes for its channel while it
 * records (and hears the current value at once). Sessions in other processes (a `record` run
 * by hand or a custom `download_cmd`) hear nothing and keep what they know.
 */

/** Title and game at one moment. */
export interface BroadcastMeta {
  readonly title?: string;
  readonly game?: string;
}

type MetaSink = (meta: BroadcastMeta) => void;

const latest = new Map<string, BroadcastMeta>();
const sinks = new Map<string, Set<MetaSink>>();

/** The poll loop's word on `user`'s broadcast; subscribers hear it when it changed. */
export function reportBroadcastMeta(user: string, meta: BroadcastMeta): void {
  if (meta.title === undefined && meta.game === undefined) return;
  const before = latest.get(user);
  if (before && before.title === meta.title && before.game === meta.game) return;
  latest.set(user, meta);
  for (const sink of sinks.get(user) ?? []) sink(meta);
}

/** Hears `user`'s title/game now (when known) and on each change; returns the unsubscribe. */
export function subscribeBroadcastMeta(user: string, sink: MetaSink): () => void {
  const set = sinks.get(user) ?? new Set();
  set.add(sink);
  sinks.set(user, set);
  const now = latest.get(user);
  if (now) sink(now);
  return () => {
    set.delete(sink);
  };
}
