/**
 * Pure builders for streamlink command lines, so tests can read exactly what would run.
 */
import { isOlder } from "../util/version.ts";

/** Options that keep a long live capture going through short network trouble. */
export const LIVE_CAPTURE_DEFAULTS: readonly string[] = [
  "--stream-segment-attempts",
  "5",
  "--stream-segment-timeout",
  "20",
  "--hls-playlist-reload-attempts",
  "5",
];

/** The stream URL for a channel: `{user}` in the template replaced by the username. */
export function streamUrl(template: string, username: string): string {
  return template.replaceAll("{user}", username);
}

/** The first streamlink with `--twitch-supported-codecs` (Twitch's "enhanced broadcasting"). */
export const SUPPORTED_CODECS_SINCE: readonly [number, number] = [8, 0];

/**
 * `--twitch-supported-codecs <codecs>` for a streamlink that knows it (8.0 and newer), else
 * nothing: an older one refuses the unknown option and would record nothing at all. Without it
 * Twitch offers H.264 renditions only.
 */
export function codecArgs(codecs: string, version: readonly number[] | undefined): string[] {
  if (!version || codecs === "" || isOlder(version, SUPPORTED_CODECS_SINCE)) return [];
  return ["--twitch-supported-codecs", codecs];
}

/** What one capture attempt needs. */
export interface CaptureArgsSpec {
  readonly url: string;
  readonly quality: string;
  readonly output: string;
  readonly loglevel: string;
  readonly extraArgs: readonly string[];
  /**
   * Start at the oldest segment the live playlist still holds (`--hls-live-restart`) instead of
   * 3 segments behind the live edge: Twitch's playlist reaches 30-40 s back, so a channel noticed
   * late is still recorded from its first second, and a part started after a crash or a network
   * error reaches back over the outage. What it repeats of the part before is dropped by content
   * when the parts are joined (`record/part_overlap.ts`).
   */
  readonly fromWindowStart?: boolean;
  /** `streamlink.supported_codecs` with the installed streamlink's version ({@link codecArgs}). */
  readonly codecs?: { readonly list: string; readonly version: readonly number[] | undefined };
}

/**
 * `streamlink` argv writing one part file. User `extra_args` come after our defaults so they
 * override them (streamlink keeps the last value of a repeated option).
 */
export function captureArgs(spec: CaptureArgsSpec): string[] {
  return [
    "--loglevel",
    spec.loglevel,
    "--output",
    spec.output,
    ...LIVE_CAPTURE_DEFAULTS,
    ...(spec.fromWindowStart ? ["--hls-live-restart"] : []),
    ...(spec.codecs ? codecArgs(spec.codecs.list, spec.codecs.version) : []),
    ...spec.extraArgs,
    spec.url,
    spec.quality,
  ];
}

/** What one VOD fetch of back-fill needs (`record/backfill_vod.ts`). */
export interface VodFetchSpec {
  readonly url: string;
  readonly quality: string;
  readonly output: string;
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

/**
 * `streamlink` argv writing one stretch of a VOD: `--hls-start-offset` and `--hls-duration`
 * (both in Debian's 5.2.1; 8.0 renames the latter `--stream-segmented-duration` and keeps the
 * old name as an alias) as HH:MM:SS.
 */
export function vodFetchArgs(spec: VodFetchSpec): string[] {
  return [
    "--loglevel",
    "info",
    "--output",
    spec.output,
    ...LIVE_CAPTURE_DEFAULTS,
    "--hls-start-offset",
    clockTime(spec.startSeconds),
    "--hls-duration",
    clockTime(spec.durationSeconds),
    spec.url,
    spec.quality,
  ];
}

/** Whole seconds as HH:MM:SS. */
function clockTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** `streamlink --stream-url` argv: prints the stream URL when live, fails when offline. */
export function probeArgs(url: string, quality: string, extraArgs: readonly string[]): string[] {
  return ["--loglevel", "error", ...extraArgs, "--stream-url", url, quality];
}

const SECRET_NAMES = "http-header|twitch-api-header|twitch-access-token-param|http-cookie";
const SECRET_OPTION = new RegExp(`^--(${SECRET_NAMES})$`);
const SECRET_OPTION_INLINE = new RegExp(`^--(${SECRET_NAMES})=(.*)$`, "s");
const SECRET_VALUE = /(oauth|authorization|token|cookie)/i;

/** `extra_args` split into what may be shown and what only streamlink may read. */
export interface SplitArgs {
  /** Arguments without the secret options, safe on a command line. */
  readonly visible: string[];
  /** Index in `visible` where the secret options stood (where `@<args file>` goes). */
  readonly at: number;
  /** The secret options as streamlink config-file lines, `name=value`, in order. */
  readonly secretLines: string[];
  /** The secret values, for masking in logs: whole values and the token after a scheme. */
  readonly secrets: string[];
}

/**
 * Takes the header/cookie/token options (`--twitch-api-header Authorization=OAuth <token>` and
 * kin, in either `--opt value` or `--opt=value` form) out of `extra_args`. They go to streamlink
 * through a private args file instead of its command line, which every user can read in `ps`.
 */
export function splitSecretArgs(args: readonly string[]): SplitArgs {
  const visible: string[] = [];
  const secretLines: string[] = [];
  let at = -1;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const inline = SECRET_OPTION_INLINE.exec(arg);
    let name: string | undefined;
    let value: string | undefined;
    if (inline) [, name, value] = inline;
    else if (SECRET_OPTION.test(arg) && index + 1 < args.length) {
      name = arg.slice(2);
      value = args[++index];
    }
    if (name === undefined || value === undefined) {
      visible.push(arg);
      continue;
    }
    if (at < 0) at = visible.length;
    secretLines.push(`${name}=${value}`);
  }
  const secrets = secretLines.flatMap((line) => secretParts(line.slice(line.indexOf("=") + 1)));
  return { visible, at: at < 0 ? visible.length : at, secretLines, secrets };
}

/** `Authorization=OAuth abc123` gives `OAuth abc123` and `abc123`: each may be printed alone. */
function secretParts(value: string): string[] {
  const header = value.includes("=") ? value.slice(value.indexOf("=") + 1) : value;
  const token = header.trim().split(/\s+/).pop() ?? "";
  return [...new Set([header, token].filter((part) => part.trim().length >= 4))];
}

/** Replaces every occurrence of each secret in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    masked = masked.replaceAll(secret, "***");
  }
  return masked;
}

/** argv safe to log: values of header/token options and anything that looks like a secret are masked. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    const previous = args[index - 1] ?? "";
    if (SECRET_OPTION.test(previous) || SECRET_VALUE.test(arg)) {
      const [name] = arg.split("=", 1);
      return arg.includes("=") ? `${name}=***` : "***";
    }
    return arg;
  });
}

/** streamlink log levels at which it echoes every argument, secret options included. */
const ECHOING_LEVELS = new Set(["debug", "trace", "all"]);

/**
 * The log level for a streamlink whose output goes straight to a file, not through our log
 * masking (a recording hosted by the poller: its detached streamlink must outlive us, so no
 * pipe). At `debug` and above streamlink prints its arguments, the contents of the private
 * args file included, so with secrets present it runs at `info` instead.
 */
export function unmaskedOutputLoglevel(loglevel: string, hasSecrets: boolean): string {
  return hasSecrets && ECHOING_LEVELS.has(loglevel.toLowerCase()) ? "info" : loglevel;
}
