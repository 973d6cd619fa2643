/**
 * A fake live-streaming origin for end-to-end tests, the demo and benchmarks:
 * serves Twitch-like live HLS playlists over real wall-clock time so that the
 * real `streamlink` can record channels that the test switches between live,
 * offline and ended.
 *
 * Standalone use (Ctrl-C stops it; type `live|offline|end|state|stats USER`
 * on stdin to drive channels):
 *
 *   deno run --allow-net --allow-read --allow-write --allow-run=ffmpeg \
 *     testing/hls_server.ts --port 8090 user1 user2
 */

import { ensureSegments, type SegmentSet } from "./segments.ts";

/** A running fake origin; every channel starts offline until `goLive`. */
export interface LiveHlsServer {
  readonly port: number;
  /** e.g. "hls://http://127.0.0.1:PORT/live/{user}/index.m3u8" — what twitchtool's [streamlink] url_template takes. */
  readonly urlTemplate: string;
  /** Channel goes live (or comes back after offline): a sliding live playlist starting now. */
  goLive(user: string): void;
  /** Channel goes offline: its playlist answers 404 (an outage, or not live at all). */
  goOffline(user: string): void;
  /**
   * Broadcast ends: new viewers get 404 at once; players already on the media playlist see
   * #EXT-X-ENDLIST for a few seconds (endGraceMs), then the channel is fully offline.
   */
  end(user: string): void;
  /**
   * Broadcast ends and the origin keeps serving its final playlist with #EXT-X-ENDLIST to every
   * viewer, new ones included, until `goOffline` (a VOD URL, or a platform that does so for a
   * while after the broadcast): each reconnect gets the same ended content again.
   */
  endAndReplay(user: string): void;
  /**
   * The channel goes live and plays `script` once, in real time from the first playlist
   * request, then ends like `end()`: a
   * scripted broadcast with ads, restarts, codec changes or fMP4 segments (see {@link ScriptedSegment}).
   */
  playScript(user: string, script: Script, options?: ScriptOptions): void;
  /**
   * An outage on our side for a scripted channel: for `seconds` from now every live request
   * (playlists and segments) answers 404 while the broadcast plays on; its VOD is unaffected.
   */
  outage(user: string, seconds: number): void;
  /**
   * The VOD of scripted broadcasts, as a streamlink URL with `{id}` for `[twitch]
   * vod_url_template`: video id = the channel's name. An EVENT playlist of every segment
   * published so far (segments the live side answers 404 for included), ended with
   * #EXT-X-ENDLIST once the broadcast is over; served from the same bytes as the live segments.
   */
  readonly vodUrlTemplate: string;
  /** "live" | "offline" | "ended" */
  state(user: string): string;
  /** How many media-segment bytes were served for a user, and count of segment requests (for assertions/benchmarks). Playlist requests count master and media playlists, including 404s. */
  stats(
    user: string,
  ): { segmentRequests: number; bytes: number; playlistRequests: number; mediaSeconds: number };
  close(): Promise<void>;
}

type ChannelState = "live" | "offline" | "ended";

/** One segment of a scripted broadcast. */
export interface ScriptedSegment {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly seconds: number;
  /** Preceded by #EXT-X-DISCONTINUITY (timestamps or codec change). */
  readonly discontinuity?: boolean;
  /** A stitched ad, marked as Twitch marks it (DATERANGE class and a non-"live" title). */
  readonly ad?: boolean;
  /** Index into {@link Script.maps}: an fMP4 segment with that init segment (#EXT-X-MAP). */
  readonly map?: number;
  /** The origin answers 404 for this segment (an outage on our side). */
  readonly missing?: boolean;
}

/** How a scripted broadcast meets its first viewer. */
export interface ScriptOptions {
  /**
   * Seconds the broadcast has already run when the first playlist is requested: that playlist
   * already holds the first segments (a channel noticed after it went live, as Twitch's 30-40 s
   * live window still shows). Default 0: the broadcast starts with its first viewer.
   */
  readonly heldAtStart?: number;
}

/** A scripted broadcast: segments in order and the fMP4 init segments they refer to. */
export interface Script {
  readonly segments: readonly ScriptedSegment[];
  readonly maps?: readonly Uint8Array<ArrayBuffer>[];
}

interface Channel {
  state: ChannelState;
  /** Sequence number the next live session starts at, so numbers are never reused. */
  nextSeq: number;
  /** First sequence number of the current (or last) live session. */
  sessionStartSeq: number;
  /** Monotonic time (ms) the current session went live. */
  liveSince: number;
  /** Frozen window of an ended broadcast. */
  endedFirst: number;
  endedLast: number;
  endedAt: number;
  /** The ended playlist stays served to everyone (see `endAndReplay`). */
  replayEnd: boolean;
  /** Session starts after an outage; each gets a discontinuity. */
  sessionStarts: Set<number>;
  segmentRequests: number;
  bytes: number;
  playlistRequests: number;
  /** Seconds of scripted media served (each segment counted once). */
  mediaSeconds: number;
  served: Set<number>;
}

const PLAYLIST_HEADERS = {
  "content-type": "application/vnd.apple.mpegurl",
  "cache-control": "no-cache",
};

/** The variant name streamlink derives from RESOLUTION (it lists it next to best/worst). */
const VARIANT = "180p";

/**
 * Starts the server on 127.0.0.1 (a random port unless `port` is given).
 *
 * `windowSize` is the number of segments in the live playlist (default 6);
 * `endGraceMs` is how long an ended broadcast keeps serving its final
 * playlist with #EXT-X-ENDLIST before answering 404 (default 5000).
 */
export async function startHlsServer(
  opts: {
    port?: number;
    windowSize?: number;
    endGraceMs?: number;
    segments?: SegmentSet;
  } = {},
): Promise<LiveHlsServer> {
  const windowSize = opts.windowSize ?? 6;
  const endGraceMs = opts.endGraceMs ?? 5000;
  if (!Number.isInteger(windowSize) || windowSize < 1) {
    throw new RangeError(`windowSize must be a positive integer, got ${windowSize}`);
  }
  const segments = opts.segments ?? await ensureSegments();
  const media = await Promise.all(segments.files.map((f) => Deno.readFile(f)));
  const segmentMs = segments.segmentSeconds * 1000;
  const maxSegmentBytes = Math.max(...media.map((m) => m.byteLength));
  const bandwidth = Math.ceil((maxSegmentBytes * 8) / segments.segmentSeconds);
  const channels = new Map<string, Channel>();
  const scripts = new Map<
    string,
    {
      script: Script;
      startedAt?: number;
      starts: number[];
      heldAtStart: number;
      outageUntil?: number;
    }
  >();

  /** Scripted segments published so far ([first, last] of the window) and whether it ended. */
  const scriptWindow = (user: string): [number, number, boolean] => {
    const entry = scripts.get(user)!;
    // The broadcast starts with its first viewer, so a slow recorder start misses nothing.
    entry.startedAt ??= performance.now() - entry.heldAtStart * 1000;
    const elapsed = (performance.now() - entry.startedAt) / 1000;
    let last = 0;
    while (last + 1 < entry.starts.length && entry.starts[last + 1]! <= elapsed) last++;
    const total = entry.starts[entry.starts.length - 1]! +
      entry.script.segments[entry.script.segments.length - 1]!.seconds;
    return [Math.max(0, last - windowSize + 1), last, elapsed >= total];
  };

  const scriptedPlaylist = (user: string): string => {
    const { script } = scripts.get(user)!;
    const [first, last, ended] = scriptWindow(user);
    const target = Math.ceil(Math.max(...script.segments.map((seg) => seg.seconds)));
    let discontinuities = 0;
    for (let i = 1; i < first; i++) if (script.segments[i]!.discontinuity) discontinuities++;
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:6",
      `#EXT-X-TARGETDURATION:${target}`,
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
      `#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuities}`,
    ];
    let map: number | undefined;
    const start = Date.now();
    for (let seq = first; seq <= last; seq++) {
      const seg = script.segments[seq]!;
      if (seq > first && seg.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
      if (seg.map !== undefined && (seg.map !== map || seq === first || seg.discontinuity)) {
        lines.push(`#EXT-X-MAP:URI="init/${seg.map}.mp4"`);
        map = seg.map;
      }
      if (seg.ad && !script.segments[seq - 1]?.ad) {
        lines.push(
          `#EXT-X-DATERANGE:ID="stitched-ad-${seq}",CLASS="twitch-stitched-ad",` +
            `START-DATE="${new Date(start).toISOString()}",DURATION=${seg.seconds.toFixed(3)}`,
        );
      }
      const extension = seg.map === undefined ? "ts" : "m4s";
      lines.push(`#EXTINF:${seg.seconds.toFixed(3)},${seg.ad ? "Amazon|123" : "live"}`);
      lines.push(`seg/${seq}.${extension}`);
    }
    if (ended) lines.push("#EXT-X-ENDLIST");
    return lines.join("\n") + "\n";
  };

  const scriptedResponse = (user: string, rest: string): Response => {
    const { script } = scripts.get(user)!;
    const map = /^init\/(\d+)\.mp4$/.exec(rest);
    if (map) {
      const bytes = script.maps?.[Number(map[1])];
      return bytes ? new Response(bytes) : notFound();
    }
    const m = /^seg\/(\d+)\.(ts|m4s)$/.exec(rest);
    if (!m) return notFound();
    const seq = Number(m[1]);
    const seg = script.segments[seq];
    const [, last] = scriptWindow(user);
    if (!seg || seg.missing || seq > last) return notFound();
    const ch = channel(user);
    ch.segmentRequests++;
    ch.bytes += seg.bytes.byteLength;
    if (!ch.served.has(seq)) ch.mediaSeconds += seg.seconds;
    ch.served.add(seq);
    return new Response(seg.bytes);
  };

  /** The VOD of a scripted broadcast: every segment published so far, ENDLIST once ended. */
  const vodPlaylist = (user: string): string => {
    const { script } = scripts.get(user)!;
    const [, last, ended] = scriptWindow(user);
    const target = Math.ceil(Math.max(...script.segments.map((seg) => seg.seconds)));
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      "#EXT-X-PLAYLIST-TYPE:EVENT",
      `#EXT-X-TARGETDURATION:${target}`,
      "#EXT-X-MEDIA-SEQUENCE:0",
    ];
    for (let seq = 0; seq <= last; seq++) {
      const seg = script.segments[seq]!;
      if (seq > 0 && seg.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
      lines.push(`#EXTINF:${seg.seconds.toFixed(3)},`, `seg/${seq}.ts`);
    }
    if (ended) lines.push("#EXT-X-ENDLIST");
    return lines.join("\n") + "\n";
  };

  const vodResponse = (user: string, rest: string): Response => {
    if (!scripts.has(user)) return notFound();
    if (rest === "index.m3u8") return new Response(masterPlaylist(), { headers: PLAYLIST_HEADERS });
    if (rest === `${VARIANT}.m3u8`) {
      return new Response(vodPlaylist(user), { headers: PLAYLIST_HEADERS });
    }
    const m = /^seg\/(\d+)\.ts$/.exec(rest);
    const seq = m ? Number(m[1]) : NaN;
    const seg = scripts.get(user)!.script.segments[seq];
    if (!seg || seq > scriptWindow(user)[1]) return notFound();
    return new Response(seg.bytes);
  };

  /** Whether a scripted channel is in an outage on our side. */
  const inOutage = (user: string): boolean =>
    (scripts.get(user)?.outageUntil ?? 0) > performance.now();

  const channel = (user: string): Channel => {
    let ch = channels.get(user);
    if (!ch) {
      ch = {
        state: "offline",
        nextSeq: 0,
        sessionStartSeq: 0,
        liveSince: 0,
        endedFirst: 0,
        endedLast: -1,
        endedAt: 0,
        replayEnd: false,
        sessionStarts: new Set(),
        segmentRequests: 0,
        bytes: 0,
        playlistRequests: 0,
        mediaSeconds: 0,
        served: new Set(),
      };
      channels.set(user, ch);
    }
    // Ended broadcasts turn offline lazily, so there are no timers to leak.
    if (ch.state === "ended" && !ch.replayEnd && performance.now() - ch.endedAt >= endGraceMs) {
      ch.state = "offline";
    }
    return ch;
  };

  /** The live window [first, last]; a segment is published when it starts. */
  const liveWindow = (ch: Channel): [number, number] => {
    if (ch.state === "ended") return [ch.endedFirst, ch.endedLast];
    const elapsed = Math.max(0, performance.now() - ch.liveSince);
    const last = ch.sessionStartSeq + Math.floor(elapsed / segmentMs);
    return [Math.max(ch.sessionStartSeq, last - windowSize + 1), last];
  };

  const isDiscontinuity = (ch: Channel, seq: number): boolean =>
    (seq > 0 && seq % segments.count === 0) || ch.sessionStarts.has(seq);

  /** Discontinuities that slid out of the window, for #EXT-X-DISCONTINUITY-SEQUENCE. */
  const discontinuitiesBefore = (ch: Channel, first: number): number => {
    let n = first > 0 ? Math.floor((first - 1) / segments.count) : 0;
    for (const s of ch.sessionStarts) {
      if (s < first && s % segments.count !== 0) n++;
    }
    return n;
  };

  const mediaPlaylist = (ch: Channel): string => {
    const [first, last] = liveWindow(ch);
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      `#EXT-X-TARGETDURATION:${Math.ceil(segments.segmentSeconds)}`,
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
      `#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitiesBefore(ch, first)}`,
    ];
    for (let seq = first; seq <= last; seq++) {
      if (isDiscontinuity(ch, seq)) lines.push("#EXT-X-DISCONTINUITY");
      lines.push(`#EXTINF:${segments.segmentSeconds.toFixed(3)},`, `seg/${seq}.ts`);
    }
    if (ch.state === "ended") lines.push("#EXT-X-ENDLIST");
    return lines.join("\n") + "\n";
  };

  const masterPlaylist = (): string =>
    [
      "#EXTM3U",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      `#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=320x180,` +
      `CODECS="avc1.42C00D,mp4a.40.2",FRAME-RATE=30.000`,
      `${VARIANT}.m3u8`,
    ].join("\n") + "\n";

  const notFound = () => new Response("not found\n", { status: 404 });

  const handler = (req: Request): Response => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405 });
    }
    const [empty, live, rawUser, ...restParts] = new URL(req.url).pathname.split("/");
    if (empty !== "" || (live !== "live" && live !== "vod") || !rawUser || restParts.length === 0) {
      return notFound();
    }
    let user: string;
    try {
      user = decodeURIComponent(rawUser);
    } catch {
      return notFound();
    }
    const rest = restParts.join("/");
    if (live === "vod") return vodResponse(user, rest);
    if (inOutage(user)) return notFound();
    const ch = channel(user);

    if (scripts.has(user) && ch.state !== "offline") {
      if (rest === `${VARIANT}.m3u8`) {
        ch.playlistRequests++;
        return new Response(scriptedPlaylist(user), { headers: PLAYLIST_HEADERS });
      }
      if (rest !== "index.m3u8") return scriptedResponse(user, rest);
      if (scriptWindow(user)[2]) return notFound();
    }
    if (rest === "index.m3u8" || rest === `${VARIANT}.m3u8`) {
      ch.playlistRequests++;
      if (ch.state === "offline") return notFound();
      // Like Twitch, an ended channel is offline for new viewers at once; only players already
      // on the media playlist see its #EXT-X-ENDLIST (a reconnect must not replay the end).
      if (ch.state === "ended" && !ch.replayEnd && rest === "index.m3u8") return notFound();
      const body = rest === "index.m3u8" ? masterPlaylist() : mediaPlaylist(ch);
      return new Response(body, { headers: PLAYLIST_HEADERS });
    }

    const m = /^seg\/(\d+)\.ts$/.exec(rest);
    if (!m) return notFound();
    ch.segmentRequests++;
    if (ch.state === "offline") return notFound();
    const seq = Number(m[1]);
    const [first, last] = liveWindow(ch);
    // Segments that just slid out of the window stay fetchable for slow clients.
    if (!Number.isSafeInteger(seq) || seq < first - windowSize || seq > last) {
      return notFound();
    }
    const bytes = media[seq % segments.count];
    if (!bytes) return notFound();
    ch.bytes += bytes.byteLength;
    return new Response(bytes, {
      headers: { "content-type": "video/mp2t", "cache-control": "no-cache" },
    });
  };

  const endBroadcast = (user: string): Channel => {
    const ch = channel(user);
    ch.replayEnd = false;
    if (ch.state !== "live") {
      if (ch.state !== "ended") ch.state = "offline";
      return ch;
    }
    const [first, last] = liveWindow(ch);
    ch.endedFirst = first;
    ch.endedLast = last;
    ch.endedAt = performance.now();
    ch.nextSeq = last + 1;
    ch.state = "ended";
    return ch;
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    onListen() {},
  }, handler);
  const port = server.addr.port;
  let closing: Promise<void> | undefined;

  return {
    port,
    urlTemplate: `hls://http://127.0.0.1:${port}/live/{user}/index.m3u8`,
    vodUrlTemplate: `hls://http://127.0.0.1:${port}/vod/{id}/index.m3u8`,
    outage(user, seconds) {
      const entry = scripts.get(user);
      if (entry) entry.outageUntil = performance.now() + seconds * 1000;
    },
    goLive(user) {
      const ch = channel(user);
      if (ch.state === "live") return;
      if (ch.state === "ended") ch.state = "offline";
      ch.replayEnd = false;
      ch.sessionStartSeq = ch.nextSeq;
      if (ch.sessionStartSeq > 0) ch.sessionStarts.add(ch.sessionStartSeq);
      ch.liveSince = performance.now();
      ch.state = "live";
    },
    playScript(user, script, options = {}) {
      const starts: number[] = [];
      let at = 0;
      for (const seg of script.segments) {
        starts.push(at);
        at += seg.seconds;
      }
      scripts.set(user, { script, starts, heldAtStart: options.heldAtStart ?? 0 });
      channel(user).state = "live";
    },
    goOffline(user) {
      const ch = channel(user);
      ch.replayEnd = false;
      if (ch.state === "live") ch.nextSeq = liveWindow(ch)[1] + 1;
      ch.state = "offline";
    },
    end(user) {
      endBroadcast(user);
    },
    endAndReplay(user) {
      const ch = endBroadcast(user);
      if (ch.state === "ended") ch.replayEnd = true;
    },
    state(user) {
      return channel(user).state;
    },
    stats(user) {
      const ch = channel(user);
      return {
        segmentRequests: ch.segmentRequests,
        bytes: ch.bytes,
        playlistRequests: ch.playlistRequests,
        mediaSeconds: ch.mediaSeconds,
      };
    },
    close() {
      closing ??= server.shutdown().then(() => server.finished);
      return closing;
    },
  };
}

/** Parses `--port N` (or `--port=N`), `--window N`, `--end-grace-ms N` and user names. */
function parseArgs(
  args: string[],
): { options: { port: number; windowSize?: number; endGraceMs?: number }; users: string[] } {
  const options: { port: number; windowSize?: number; endGraceMs?: number } = { port: 8090 };
  const users: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [flag = "", inline] = arg.split("=", 2);
    const value = () => {
      const n = Number(inline ?? args[++i]);
      if (!Number.isFinite(n)) throw new Error(`${flag} needs a number`);
      return n;
    };
    if (flag === "--port") options.port = value();
    else if (flag === "--window") options.windowSize = value();
    else if (flag === "--end-grace-ms") options.endGraceMs = value();
    else if (flag.startsWith("-")) throw new Error(`unknown option ${flag}`);
    else users.push(arg);
  }
  return { options, users };
}

async function main(): Promise<void> {
  const { options, users } = parseArgs(Deno.args);
  const server = await startHlsServer(options);
  for (const user of users) server.goLive(user);
  console.log(`url_template = "${server.urlTemplate}"`);
  for (const user of users) {
    console.log(`live: ${server.urlTemplate.replace("{user}", user)}`);
  }
  console.log("commands on stdin: live|offline|end|replay|state|stats USER; Ctrl-C stops");

  Deno.addSignalListener("SIGINT", () => {
    server.close().finally(() => Deno.exit(0));
  });

  const decoder = new TextDecoderStream();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(decoder)) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const [cmd, user] = buffered.slice(0, nl).trim().split(/\s+/);
      buffered = buffered.slice(nl + 1);
      if (!cmd) continue;
      if (!user) console.log("usage: live|offline|end|replay|state|stats USER");
      else if (cmd === "live") server.goLive(user);
      else if (cmd === "offline") server.goOffline(user);
      else if (cmd === "end") server.end(user);
      else if (cmd === "replay") server.endAndReplay(user);
      else if (cmd === "stats") console.log(server.stats(user));
      else if (cmd !== "state") console.log(`unknown command ${cmd}`);
      if (user) console.log(`${user}: ${server.state(user)}`);
    }
  }
}

if (import.meta.main) {
  await main();
}
