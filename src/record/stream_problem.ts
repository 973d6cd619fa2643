/**
 * Tells "the network is broken" from "the channel is offline" in streamlink's output. Both end
 * an attempt with no data, and the recorder would otherwise wait out `retry_window` as if the
 * channel were offline while the machine has no route to the stream.
 *
 * streamlink 5.2.1 reports a request that got no HTTP answer as
 * `error: Unable to open URL: <url> (HTTPSConnectionPool(host='…', port=443): Max retries
 * exceeded with url: … (Caused by NewConnectionError('…: Failed to establish a new connection:
 * [Errno 101] Network is unreachable')))` (also for DNS failures, refused connections and
 * timeouts), and playlist reloads or segment downloads that fail the same way as `Failed to
 * reload playlist: …` / `Failed to fetch segment …` with the same `requests` text. An HTTP error
 * (`404 Client Error`) is an answer: not a network problem. Limit: for Twitch URLs streamlink
 * 5.2.1 turns a failed access-token request into `No playable streams found`, exactly the
 * offline wording; when Twitch's API has just said the channel is live and nothing was captured
 * yet (`apiSaysLive`), that wording is taken as the network problem it most likely is. Without
 * the API (a `record` run by hand), no route to Twitch only shows in `twitchtool doctor`.
 */

/** `requests`/`urllib3` wordings of a request that got no HTTP answer. */
const NO_ANSWER =
  /NewConnectionError|ConnectionError|ConnectTimeout|ConnectTimeoutError|ReadTimeout|Max retries exceeded|Connection refused|Connection reset|Name or service not known|Temporary failure in name resolution|No address associated|Network is unreachable|No route to host|timed out|RemoteDisconnected/i;

/** streamlink's words for "offline", which it also prints when Twitch's token host is unreachable. */
const NO_STREAMS = /No playable streams found/;
const LIVE_BUT_NO_STREAMS =
  "Twitch's API says the channel is live, yet streamlink found no stream: its token or playlist host may be unreachable";

/** The lines streamlink prints for a failed request. */
const REQUEST_FAILED = /Unable to open URL|Failed to reload playlist|Failed to fetch segment/i;

/**
 * The network problem a streamlink output line reports, in a few words with the host
 * (`Connection refused (127.0.0.1:9)`), or `undefined` for any other line.
 */
export function networkProblem(line: string, apiSaysLive = false): string | undefined {
  if (apiSaysLive && NO_STREAMS.test(line)) return LIVE_BUT_NO_STREAMS;
  if (!REQUEST_FAILED.test(line) || !NO_ANSWER.test(line)) return undefined;
  const host = /host='([^']+)', port=(\d+)/.exec(line);
  const errno = /\[Errno -?\d+\] ([^'"\])]+)/.exec(line)?.[1]?.trim();
  const what = errno ??
    /(timed out|Connection reset|RemoteDisconnected|ConnectTimeout|ReadTimeout)/i
      .exec(line)?.[1] ??
    "no answer";
  return host ? `${what} (${host[1]}:${host[2]})` : what;
}

/** The last network problem among `text`'s lines (a part's log), if any. */
export function lastNetworkProblem(text: string, apiSaysLive = false): string | undefined {
  let found: string | undefined;
  for (const line of text.split("\n")) found = networkProblem(line, apiSaysLive) ?? found;
  return found;
}
