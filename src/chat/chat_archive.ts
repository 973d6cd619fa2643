/**
 * Folds a chat journal into TwitchDownloader's chat JSON, the format chat renderers and
 * players read (field names and types as in TwitchDownloader's `TwitchObjects/ChatRoot.cs`:
 * `streamer.id` an integer, `user_color` null or `#RRGGBB` and never "", every comment with
 * `commenter` and `fragments`, badge versions as strings). Moderation is kept as a record:
 * CLEARMSG and CLEARCHAT flag the affected comments `state: "deleted"` instead of dropping
 * them; USERNOTICE (subs, raids...) becomes a comment carrying `user_notice_params`.
 */
import { type IrcMessage, nickOf, parseIrcMessage } from "./irc_message.ts";
import type { JournalEntry } from "./chat_journal.ts";
import type { DeliveredTimeline } from "./delivered_timeline.ts";
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

/** Builds the archive from journal entries placed on the delivered timeline. */
export function buildChatArchive(
  info: ChatArchiveInfo,
  entries: readonly JournalEntry[],
  timeline: DeliveredTimeline,
): ChatArchive {
  const comments: ChatComment[] = [];
  const byId = new Map<string, ChatComment>();
  let roomId = "";
  let title = "";
  for (const entry of entries) {
    if (entry.k === "meta" && entry.title) title = entry.title;
    if (entry.k !== "irc") continue;
    const message = parseIrcMessage(entry.line);
    if (!message) continue;
    roomId ||= message.tags["room-id"] ?? "";
    if (message.command === "CLEARMSG") {
      const target = byId.get(message.tags["target-msg-id"] ?? "");
      if (target) target.state = "deleted";
      continue;
    }
    if (message.command === "CLEARCHAT") {
      const login = message.params[1]?.toLowerCase();
      for (const comment of comments) {
        if (!login || comment.commenter.name === login) comment.state = "deleted";
      }
      continue;
    }
    if (message.command !== "PRIVMSG" && message.command !== "USERNOTICE") continue;
    const offset = timeline.position(momentOf(message, entry.w));
    if (offset === undefined) continue;
    const comment = toComment(message, entry.w, offset, info.streamId ?? "");
    comments.push(comment);
    byId.set(comment._id, comment);
  }
  comments.sort((a, b) => a.content_offset_seconds - b.content_offset_seconds);
  const startMs = timeline.startMs;
  return {
    streamer: { name: info.user, id: Number(roomId) || 0 },
    video: {
      title,
      id: info.streamId ?? "",
      created_at: startMs !== undefined ? new Date(startMs).toISOString() : info.startedAt,
      start: 0,
      end: roundMillis(timeline.totalSeconds),
      length: roundMillis(timeline.totalSeconds),
    },
    comments,
  };
}

/**
 * When a message was sent: Twitch's `tmi-sent-ts` when it agrees with our receive time within
 * 10 s (a busy machine hands WebSocket messages over late; a badly set clock is not trusted),
 * else the receive time.
 */
function momentOf(message: IrcMessage, receivedAt: number): number {
  const sent = Number(message.tags["tmi-sent-ts"]);
  return Number.isFinite(sent) && Math.abs(sent - receivedAt) <= 10_000 ? sent : receivedAt;
}

function toComment(
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
  const system = notice ? tags["system-msg"] ?? "" : "";
  const body = notice ? [system, text].filter(Boolean).join(" ") : text;
  const emotes = notice ? [] : parseEmotes(tags.emotes ?? "");
  return {
    _id: tags.id || `${receivedAt}-${login}`,
    created_at: new Date(Number.isFinite(sentAt) && sentAt > 0 ? sentAt : receivedAt)
      .toISOString(),
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
