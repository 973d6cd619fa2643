/**
 * The installed streamlink's version, asked once per process: the capture passes options only
 * the streamlink that runs knows (`--twitch-supported-codecs` since 8.0), and `doctor` says
 * what an older one cannot reach.
 */
import { parseVersion } from "../util/version.ts";
import { runCommand } from "./spawn.ts";

let asked: Promise<number[] | undefined> | undefined;

/** `[major, minor, patch]` of `streamlink --version`, or undefined when it cannot be told. */
export function streamlinkVersion(): Promise<number[] | undefined> {
  asked ??= (async () => {
    try {
      const result = await runCommand("streamlink", ["--version"]);
      return parseVersion((result.stdout || result.stderr).split("\n")[0] ?? "");
    } catch {
      return undefined;
    }
  })();
  return asked;
}
