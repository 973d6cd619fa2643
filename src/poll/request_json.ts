/** The one way the detectors talk HTTP: bounded in time, every failure a TwitchApiError. */
import { TwitchApiError } from "../errors.ts";

/**
 * One HTTP request whose answer must be JSON with status 200. Failures become
 * {@link TwitchApiError} naming the URL (never the headers, and the answer's excerpt with every
 * one of `secrets` masked).
 */
export async function requestJson(
  fetcher: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal,
  secrets: readonly string[] = [],
): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetcher(url, { ...init, signal: AbortSignal.any([signal, timeout]) });
  } catch (error) {
    if (timeout.aborted) {
      throw new TwitchApiError(`No answer from "${url}" within ${timeoutMs / 1000} s`);
    }
    throw new TwitchApiError(`Cannot reach "${url}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new TwitchApiError(`Cannot read the answer of "${url}": ${(error as Error).message}`);
  }
  if (response.status !== 200) {
    // A server may echo the request (form fields included) into its error page.
    let excerpt = text.slice(0, 200).replace(/\s+/g, " ");
    for (const secret of secrets) if (secret) excerpt = excerpt.replaceAll(secret, "***");
    throw new TwitchApiError(`HTTP ${response.status} from "${url}": ${excerpt}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TwitchApiError(`Malformed answer from "${url}": not JSON`);
  }
}
