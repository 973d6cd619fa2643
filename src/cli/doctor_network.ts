/**
 * `doctor`'s network checks: do the hosts a recording needs answer? Twitch's API (the poller's
 * live detection) and the host streamlink fetches playlists from (`usher.ttvnw.net` for Twitch
 * URLs, else the `url_template`'s own host). streamlink 5.2.1 reports no route to Twitch as
 * "No playable streams found", the offline wording (see `record/stream_problem.ts`), so this is
 * where a broken network shows plainly. Any HTTP answer, error status included, counts as
 * reachable; only a request that gets none is a warning. `doctor` contacts only
 * `DOCTOR_NET_HOSTS` (`permissions.ts`); another host configured is reported as not checked.
 */
import type { Config } from "../config/config.ts";
import { DOCTOR_NET_HOSTS } from "../permissions.ts";
import { chooseDetector, isTwitchUrl } from "../poll/detect_live.ts";
import type { CheckResult } from "./doctor_checks.ts";

/** Twitch's playlist host, which streamlink's Twitch plugin records from. */
export const TWITCH_PLAYLIST_URL = "https://usher.ttvnw.net/";

const TIMEOUT_MS = 5000;

/** One line for the API host and one for the stream host. */
export async function checkNetwork(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let detector;
  try {
    detector = chooseDetector(config);
  } catch {
    detector = undefined;
  }
  const apiUrl = detector === "gql"
    ? config.twitch.gqlUrl
    : detector === "helix"
    ? config.twitch.helixUrl
    : undefined;
  results.push(
    apiUrl ? await checkHost("Twitch API", apiUrl) : {
      level: "ok",
      name: "Twitch API",
      detail: "not used (live detection by streamlink probes)",
    },
  );
  const streamUrl = isTwitchUrl(config.streamlink.urlTemplate)
    ? TWITCH_PLAYLIST_URL
    : streamOrigin(config.streamlink.urlTemplate);
  results.push(
    streamUrl
      ? await checkHost("stream host", streamUrl)
      : { level: "ok", name: "stream host", detail: "not checked (not an http(s) URL)" },
  );
  return results;
}

/** The http(s) origin of a `url_template` (`hls://http://host:port/{user}` included). */
function streamOrigin(urlTemplate: string): string | undefined {
  const url = urlTemplate.replaceAll("{user}", "x").replace(
    /^[a-z0-9+.-]+:\/\/(?=https?:\/\/)/i,
    "",
  );
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return /^https?:$/.test(parsed.protocol) ? `${parsed.origin}/` : undefined;
}

/** Whether `url`'s host gives any HTTP answer within the timeout. */
async function checkHost(name: string, url: string): Promise<CheckResult> {
  const host = new URL(url).host;
  const hostname = new URL(url).hostname;
  const notChecked: CheckResult = {
    level: "warn",
    name,
    detail: `${host} not checked: doctor may only reach Twitch's own hosts and loopback`,
  };
  if (!(DOCTOR_NET_HOSTS as readonly string[]).includes(hostname)) return notChecked;
  try {
    const response = await fetch(url, {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { level: "ok", name, detail: `${host} answers (HTTP ${response.status})` };
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return notChecked;
    }
    return {
      level: "warn",
      name,
      detail: `cannot reach ${host}: ${describe(error)}; recordings fail until it answers ` +
        "(no network, DNS or a firewall?)",
    };
  }
}

/** The innermost message of a fetch failure (`fetch failed` alone says nothing). */
function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  }
  let current = error as { message?: string; cause?: unknown } | undefined;
  let message = String(current?.message ?? error);
  for (let depth = 0; current?.cause && depth < 5; depth++) {
    current = current.cause as { message?: string; cause?: unknown };
    if (current?.message) message = current.message;
  }
  // reqwest's "error sending request for url (…): client error (Connect): <what>": keep <what>.
  return message.replace(/^.*client error \(Connect\): /, "");
}
