/**
 * TwitchDownloader's chat JSON, the format chat renderers and players read, and the comment
 * one chat message becomes (`fold_chat.ts` writes the file from the journal). Field names and
 * types are those of TwitchDownloader's `TwitchObjects/ChatRoot.cs`: `streamer.id` an integer,
 * `user_color` null or `#RRGGBB` and never "", every comment with `commenter` and `fragments`,
 * badge versions as strings. USERNOTICE (subs, raids...) becomes a comment carrying
 * `user_notice_params`.
 */
import { type IrcMessage, nickOf } from "./irc_message.ts";
import { roundMillis } from "../util/round_millis.ts";

/** One fragment of a message: text, or an emote with its id. */
export interface ChatFragment {
  readonly text: string;
  readonly emoticon: { readonly emoticon_id: string; readonly emoticon_set_id: string } | null;
}

/** A comment as TwitchDownloader reads it. */
export interface ChatComment {
  _id: string;
  created_at: string;
  channel_id: string;
  content_type: "video";
  content_id: string;
  content_offset_seconds: number;
  commenter: { display_name: string; _id: string; name: string };
  source: "chat";
  /** `published`, or `deleted` once a moderator removed it (CLEARMSG/CLEARCHAT). */
  state: "published" | "deleted";
  message: {
    body: string;
    bits_spent: number;
    fragments: ChatFragment[];
    is_action: boolean;
    user_badges: { _id: string; version: string }[];
    user_color: string | null;
    user_notice_params: { msg_id: string | null };
    emoticons: { _id: string; begin: number; end: number }[];
  };
  more_replies: false;
}

/** The whole file. */
export interface ChatArchive {
  streamer: { name: string; id: number };
  video: {
    title: string;
    id: string;
    created_at: string;
    start: number;
    end: number;
    length: number;
  };
  comments: ChatComment[];
}

/** What the archive is about. */
export interface ChatArchiveInfo {
  readonly user: string;
  readonly streamId?: string | undefined;
  /** When recording started (ISO), if no frame time is known. */
  readonly startedAt: string;
}

/**
 * How far Twitch's `tmi-sent-ts` may be from the time a message arrived and still be trusted
 * as its moment (a busy machine hands WebSocket messages over late; a badly set clock is not
 * trusted). A message's moment is therefore never more than this before its arrival.
 */
export const SENT_TOLERANCE_MS = 10_000;

/** How far `tmi-sent-ts` may be from the arrival and still be the comment's `created_at`. */
const CREATED_TOLERANCE_MS = 24 * 3600_000;

/**
 * When a message was sent, on the wall clock: Twitch's `tmi-sent-ts` when it agrees with our
 * receive time within {@link SENT_TOLERANCE_MS}, else the receive time.
 */
export function momentOf(message: IrcMessage, receivedAt: number): number {
  const sent = Number(message.tags["tmi-sent-ts"]);
  return Math.abs(sent - receivedAt) <= SENT_TOLERANCE_MS ? sent : receivedAt;
}

/**
 * The comment TwitchDownloader reads for one PRIVMSG or USERNOTICE, at `offset` seconds into
 * the delivered file. `created_at` is Twitch's stamp, or the arrival time when the stamp is
 * missing or absurd (more than a day off: a bad tag must not make the whole chat unwritable).
 */
export function toComment(
  message: IrcMessage,
  receivedAt: number,
  offset: number,
  contentId: string,
): ChatComment {
  const tags = message.tags;
  const notice = message.command === "USERNOTICE";
  let text = notice ? message.params[1] ?? "" : message.params.at(-1) ?? "";
  // `/me` arrives as a CTCP ACTION: the text wrapped in \x01ACTION ... \x01.
  const action = text.startsWith("\x01ACTION ") && text.endsWith("\x01");
  if (action) text = text.slice(8, -1);
  const login = (tags.login ?? nickOf(message.prefix) ?? "").toLowerCase();
  const sentAt = Number(tags["tmi-sent-ts"]);
  const stamped = Math.abs(sentAt - receivedAt) <= CREATED_TOLERANCE_MS;
  const system = notice ? tags["system-msg"] ?? "" : "";
  const body = notice ? [system, text].filter(Boolean).join(" ") : text;
  const emotes = notice ? [] : parseEmotes(tags.emotes ?? "");
  return {
    _id: tags.id || `${receivedAt}-${login}`,
    created_at: new Date(stamped ? sentAt : receivedAt).toISOString(),
    channel_id: tags["room-id"] ?? "",
    content_type: "video",
    content_id: contentId,
    content_offset_seconds: roundMillis(offset),
    commenter: {
      display_name: tags["display-name"] || login,
      _id: tags["user-id"] ?? "",
      name: login,
    },
    source: "chat",
    state: "published",
    message: {
      body,
      bits_spent: Number(tags.bits) || 0,
      fragments: notice ? [{ text: body, emoticon: null }] : fragmentsOf(text, emotes),
      is_action: action,
      user_badges: badgesOf(tags.badges ?? ""),
      user_color: /^#[0-9A-Fa-f]{6}$/.test(tags.color ?? "") ? tags.color! : null,
      user_notice_params: { msg_id: notice ? tags["msg-id"] ?? null : null },
      emoticons: emotes.map((e) => ({ _id: e.id, begin: e.begin, end: e.end })),
    },
    more_replies: false,
  };
}

/** `moderator/1,subscriber/12` → badges; versions stay strings as in TwitchDownloader. */
export function badgesOf(tag: string): { _id: string; version: string }[] {
  return tag.split(",").filter(Boolean).map((badge) => {
    const slash = badge.indexOf("/");
    return slash < 0
      ? { _id: badge, version: "1" }
      : { _id: badge.slice(0, slash), version: badge.slice(slash + 1) };
  });
}

interface EmoteRange {
  readonly id: string;
  readonly begin: number;
  readonly end: number;
}

/** `25:0-4,6-10/1902:12-16` → ranges in code points, sorted. */
export function parseEmotes(tag: string): EmoteRange[] {
  const ranges: EmoteRange[] = [];
  for (const emote of tag.split("/").filter(Boolean)) {
    const [id, positions = ""] = emote.split(":");
    for (const range of positions.split(",")) {
      const [begin, end] = range.split("-").map(Number);
      if (id && Number.isInteger(begin) && Number.isInteger(end)) {
        ranges.push({ id, begin: begin!, end: end! });
      }
    }
  }
  return ranges.sort((a, b) => a.begin - b.begin);
}

/** Splits `body` into text and emote fragments (emote positions count code points). */
export function fragmentsOf(body: string, emotes: readonly EmoteRange[]): ChatFragment[] {
  const chars = Array.from(body);
  const fragments: ChatFragment[] = [];
  let at = 0;
  for (const emote of emotes) {
    if (emote.begin < at || emote.end >= chars.length) continue;
    if (emote.begin > at) {
      fragments.push({ text: chars.slice(at, emote.begin).join(""), emoticon: null });
    }
    fragments.push({
      text: chars.slice(emote.begin, emote.end + 1).join(""),
      emoticon: { emoticon_id: emote.id, emoticon_set_id: "" },
    });
    at = emote.end + 1;
  }
  if (at < chars.length || fragments.length === 0) {
    fragments.push({ text: chars.slice(at).join(""), emoticon: null });
  }
  return fragments;
}
