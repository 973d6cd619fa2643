/**
 * Delivers one rendered message to one target, once: an HTTP request in the target's own
 * format (ntfy's publish API, a Discord webhook, a generic JSON POST) or a run of the `apprise`
 * command. Retrying is the notifier's business; this throws on any failure with a message that
 * holds no credential (the endpoint is never part of it).
 *
 * Redirects are not followed: fetch would send the body and the secret headers (a `+X-Api-Key=`,
 * an Authorization) on to whatever host the answer names, or turn the POST into an empty GET
 * that "succeeds". A 3xx is a failure naming its status; the user configures the final URL.
 */
import type { NotifyMessage } from "./notify_event.ts";
import type { HttpTarget, NotifyTarget } from "./notify_url.ts";

/** Discord refuses `content` longer than this. */
const DISCORD_CONTENT_MAX = 2000;

/** Runs `apprise` for one URL (src/proc/run_apprise.ts); injected so tests need no program. */
export type AppriseRunner = (url: string, message: NotifyMessage) => Promise<void>;

/** How one delivery attempt reaches the world. */
export interface SendDeps {
  readonly fetch: typeof fetch;
  readonly apprise: AppriseRunner;
  /** Abandon one attempt after this long (a slow server counts as a failed attempt). */
  readonly timeoutMs: number;
}

/** One HTTP request: what a target of each kind sends. */
export function httpRequest(
  target: HttpTarget,
  message: NotifyMessage,
): { body: string; headers: Record<string, string> } {
  switch (target.kind) {
    case "ntfy":
      return {
        body: message.body,
        headers: {
          ...target.headers,
          // Header values must be ISO-8859-1: a title with other characters is sent escaped.
          Title: headerSafe(message.title),
          Priority: target.priority ?? String(message.priority),
          Tags: target.tags ?? message.tags.join(","),
        },
      };
    case "discord": {
      const content = `**${message.title}**\n${message.body}`;
      return {
        body: JSON.stringify({
          username: "twitchtool",
          content: content.length > DISCORD_CONTENT_MAX
            ? content.slice(0, DISCORD_CONTENT_MAX - 1) + "…"
            : content,
        }),
        headers: { ...target.headers, "Content-Type": "application/json" },
      };
    }
    case "json": {
      const { event, ...fields } = message.event;
      return {
        body: JSON.stringify({
          version: "1.0",
          title: message.title,
          message: message.body,
          type: message.type,
          event,
          ...fields,
        }),
        headers: { ...target.headers, "Content-Type": "application/json" },
      };
    }
  }
}

/** Sends `message` to `target` once; throws when it was not accepted. */
export async function sendNotification(
  target: NotifyTarget,
  message: NotifyMessage,
  deps: SendDeps,
): Promise<void> {
  if (target.kind === "apprise") return await deps.apprise(target.url, message);
  const request = httpRequest(target, message);
  let response: Response;
  try {
    response = await deps.fetch(target.endpoint, {
      method: "POST",
      body: request.body,
      headers: request.headers,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError") throw new Error(`no answer within ${deps.timeoutMs / 1000} s`);
    throw new Error(describeFetchError(error));
  }
  await response.body?.cancel();
  if (response.ok) return;
  const status = `HTTP ${response.status} ${response.statusText}`.trim();
  // The Location is not shown: a server may put a token of ours into it.
  if (response.status >= 300 && response.status < 400) {
    throw new Error(`${status}: redirects are not followed (put the final URL in notify.urls)`);
  }
  throw new Error(status);
}

/** A fetch failure without the URL (Deno's messages quote it, credentials and all). */
function describeFetchError(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return "network access to this host is not permitted";
  }
  const message = (error as Error).message ?? String(error);
  if (/connection refused/i.test(message)) return "connection refused";
  if (/dns|lookup|resolve/i.test(message)) return "host name not found";
  return (error as Error).name === "TypeError" ? "network error" : "request failed";
}

function headerSafe(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}
