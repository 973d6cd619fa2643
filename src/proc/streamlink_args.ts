/**
 * Pure builders for streamlink command lines, so tests can read exactly what would run.
 */

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

/** What one capture attempt needs. */
export interface CaptureArgsSpec {
  readonly url: string;
  readonly quality: string;
  readonly output: string;
  readonly loglevel: string;
  readonly extraArgs: readonly string[];
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
    ...spec.extraArgs,
    spec.url,
    spec.quality,
  ];
}

/** `streamlink --stream-url` argv: prints the stream URL when live, fails when offline. */
export function probeArgs(url: string, quality: string, extraArgs: readonly string[]): string[] {
  return ["--loglevel", "error", ...extraArgs, "--stream-url", url, quality];
}

const SECRET_OPTION = /^--(http-header|twitch-api-header|twitch-access-token-param|http-cookie)$/;
const SECRET_VALUE = /(oauth|authorization|token|cookie)/i;

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
