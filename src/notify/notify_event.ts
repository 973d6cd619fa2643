/**
 * What twitchtool tells its user about, and how each event reads as a message. One union type
 * so record, the poller and the encoder emit the same shapes and every target (ntfy, Discord,
 * a JSON webhook, apprise) renders them from one function.
 */
import { basename } from "node:path";
import { formatBytes } from "../util/disk_space.ts";
import { formatDuration } from "../util/format_duration.ts";
import type { NOTIFY_EVENTS } from "../config/schema.ts";

/** Name of an event, as `notify.events` lists them. */
export type NotifyEventName = typeof NOTIFY_EVENTS[number];

/** Everything twitchtool notifies about; the fields are sent as they are to JSON webhooks. */
export type NotifyEvent =
  | {
    readonly event: "recording_started";
    readonly channel: string;
    readonly base: string;
    readonly title?: string;
    readonly stream_id?: string;
  }
  | {
    readonly event: "recording_finished";
    readonly channel: string;
    readonly file: string;
    readonly duration_seconds: number;
    readonly bytes: number;
    readonly parts: number;
    /**
     * Reconnects inside the recording (parts joined), named `gaps` on the wire for the scripts
     * that read it; not the media holes of `history`'s coverage.
     */
    readonly gaps: number;
  }
  | {
    readonly event: "recording_failed";
    readonly channel: string;
    readonly reason: string;
    /** The non-MP4 deliverable kept instead, when there is one. */
    readonly file?: string;
  }
  | {
    readonly event: "encode_finished";
    readonly input: string;
    readonly output: string;
    readonly bytes: number;
    /** Output size over input size (0.25 = a quarter of the original). */
    readonly size_ratio: number | null;
  }
  | { readonly event: "encode_failed"; readonly input: string; readonly reason: string }
  | {
    readonly event: "disk_low";
    readonly path: string;
    readonly free_bytes: number;
    readonly min_bytes: number;
    readonly channel?: string;
    readonly detail: string;
  }
  | {
    readonly event: "retention_deleted";
    readonly files: readonly string[];
    readonly bytes: number;
    readonly reason: string;
  }
  | {
    readonly event: "upload_finished";
    readonly file: string;
    /** Where it went, `remote:path` (never a credential: rclone keeps those in its config). */
    readonly remote: string;
    readonly bytes: number;
    /** The local copy was deleted after the check (`[upload] delete_local`). */
    readonly local_deleted: boolean;
  }
  | {
    readonly event: "upload_failed";
    readonly file: string;
    readonly reason: string;
    /** The queue stopped (auth, missing remote, remote full) rather than retrying. */
    readonly stopped: boolean;
  }
  | {
    /** A config edit that does not validate: the daemon keeps the last good config. */
    readonly event: "config_refused";
    readonly path: string;
    readonly error: string;
  }
  | {
    /** A channel now answers to a new login: it is recorded under that one. */
    readonly event: "channel_renamed";
    readonly channel: string;
    readonly previous: string;
    readonly user_id: string;
  }
  | { readonly event: "test" };

/** A rendered message: what every target sends in its own format. */
export interface NotifyMessage {
  readonly title: string;
  readonly body: string;
  /** Apprise's notification types. */
  readonly type: "info" | "success" | "warning" | "failure";
  /** ntfy priority, 1 (min) to 5 (max). */
  readonly priority: number;
  /** ntfy tags (emoji short codes show as icons). */
  readonly tags: readonly string[];
  readonly event: NotifyEvent;
}

/** Renders an event as a title, a body and a severity. */
export function renderEvent(event: NotifyEvent): NotifyMessage {
  const render = RENDERERS[event.event] as (event: NotifyEvent) => MessageText;
  const { title, body, type, tags } = render(event);
  return {
    title,
    body,
    type,
    priority: type === "failure" ? 4 : type === "warning" ? 4 : 3,
    tags,
    event,
  };
}

/** What an event says; `renderEvent` adds the priority its severity implies. */
type MessageText = Pick<NotifyMessage, "title" | "body" | "type"> & { tags: string[] };

/** How each event reads: one entry an event, so adding an event is adding a line here. */
const RENDERERS: {
  readonly [K in NotifyEvent["event"]]: (event: Extract<NotifyEvent, { event: K }>) => MessageText;
} = {
  recording_started: (event) => ({
    title: `Recording ${event.channel}`,
    body: event.title ? `${event.channel} is live: ${event.title}` : `${event.channel} is live`,
    type: "info",
    tags: ["red_circle"],
  }),
  recording_finished: (event) => {
    const reconnects = event.gaps > 0 ? `, ${event.gaps} gap(s)` : "";
    return {
      title: `Recorded ${event.channel}`,
      body: `${basename(event.file)}: ${formatDuration(event.duration_seconds)}, ${
        formatBytes(event.bytes)
      }${reconnects}`,
      type: "success",
      tags: ["white_check_mark"],
    };
  },
  recording_failed: (event) => ({
    title: `Recording of ${event.channel} failed`,
    body: event.file ? `${event.reason} (kept ${basename(event.file)})` : event.reason,
    type: "failure",
    tags: ["warning"],
  }),
  encode_finished: (event) => {
    const ratio = event.size_ratio === null
      ? ""
      : `, ${Math.round(event.size_ratio * 100)}% of the original`;
    return {
      title: "Encode finished",
      body: `${basename(event.output)}: ${formatBytes(event.bytes)}${ratio}`,
      type: "success",
      tags: ["clapper"],
    };
  },
  encode_failed: (event) => ({
    title: "Encode failed",
    body: `${basename(event.input)}: ${event.reason}`,
    type: "failure",
    tags: ["warning"],
  }),
  disk_low: (event) => ({
    title: "Disk almost full",
    body: event.detail,
    type: "warning",
    tags: ["floppy_disk"],
  }),
  retention_deleted: (event) => ({
    title: `Retention deleted ${event.files.length} file(s)`,
    body: `${formatBytes(event.bytes)} freed (${event.reason}): ${
      event.files.map((f) => basename(f)).join(", ")
    }`,
    type: "info",
    tags: ["wastebasket"],
  }),
  upload_finished: (event) => ({
    title: "Upload finished",
    body: `${basename(event.file)}: ${formatBytes(event.bytes)} verified at ${event.remote}${
      event.local_deleted ? ", local copy deleted" : ""
    }`,
    type: "success",
    tags: ["outbox_tray"],
  }),
  upload_failed: (event) => ({
    title: event.stopped ? "Uploads stopped" : "Upload failed",
    body: `${basename(event.file)}: ${event.reason}`,
    type: "failure",
    tags: ["warning"],
  }),
  config_refused: (event) => ({
    title: "Config not applied",
    body: `${event.path} is not in force, the last good config is used: ${event.error}`,
    type: "warning",
    tags: ["warning"],
  }),
  channel_renamed: (event) => ({
    title: `${event.previous} is now ${event.channel}`,
    body:
      `Twitch user ${event.user_id} renamed ${event.previous} to ${event.channel}: recording it under the new name`,
    type: "info",
    tags: ["label"],
  }),
  test: () => ({
    title: "twitchtool test",
    body: "Test notification from twitchtool: this target works",
    type: "info",
    tags: ["test_tube"],
  }),
};
