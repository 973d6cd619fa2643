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
    /** Reconnects inside the recording (parts joined with a gap between them). */
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
  const make = (
    title: string,
    body: string,
    type: NotifyMessage["type"],
    tags: string[],
  ): NotifyMessage => ({
    title,
    body,
    type,
    priority: type === "failure" ? 4 : type === "warning" ? 4 : 3,
    tags,
    event,
  });
  switch (event.event) {
    case "recording_started":
      return make(
        `Recording ${event.channel}`,
        event.title ? `${event.channel} is live: ${event.title}` : `${event.channel} is live`,
        "info",
        ["red_circle"],
      );
    case "recording_finished": {
      const gaps = event.gaps > 0 ? `, ${event.gaps} gap(s)` : "";
      return make(
        `Recorded ${event.channel}`,
        `${basename(event.file)}: ${formatDuration(event.duration_seconds)}, ${
          formatBytes(event.bytes)
        }${gaps}`,
        "success",
        ["white_check_mark"],
      );
    }
    case "recording_failed":
      return make(
        `Recording of ${event.channel} failed`,
        event.file ? `${event.reason} (kept ${basename(event.file)})` : event.reason,
        "failure",
        ["warning"],
      );
    case "encode_finished": {
      const ratio = event.size_ratio === null
        ? ""
        : `, ${Math.round(event.size_ratio * 100)}% of the original`;
      return make(
        "Encode finished",
        `${basename(event.output)}: ${formatBytes(event.bytes)}${ratio}`,
        "success",
        ["clapper"],
      );
    }
    case "encode_failed":
      return make(
        "Encode failed",
        `${basename(event.input)}: ${event.reason}`,
        "failure",
        ["warning"],
      );
    case "disk_low":
      return make("Disk almost full", event.detail, "warning", ["floppy_disk"]);
    case "retention_deleted":
      return make(
        `Retention deleted ${event.files.length} file(s)`,
        `${formatBytes(event.bytes)} freed (${event.reason}): ${
          event.files.map((f) => basename(f)).join(", ")
        }`,
        "info",
        ["wastebasket"],
      );
    case "test":
      return make(
        "twitchtool test",
        "Test notification from twitchtool: this target works",
        "info",
        ["test_tube"],
      );
  }
}
