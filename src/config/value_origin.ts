/**
 * Where a config value came from, so a message about a bad value points at the place to fix
 * it: `--crf 99`, `ENCODER_CRF=99`, or the file and line. Without it a flag's value reads as if
 * the config file held it.
 */
export interface ValueOrigin {
  readonly source: "cli" | "env" | "file";
  /** The flag (`--crf`), the variable (`ENCODER_CRF`), or the file with its line (`/c.toml:4`). */
  readonly label: string;
}

/**
 * ` (from flag --download-cmd)`, ` (from environment variable DOWNLOAD_CMD)`, ` (from config
 * "/c.toml:4")`, or nothing for a default: to append where a message already names the key.
 */
export function fromOrigin(origin: ValueOrigin | undefined): string {
  switch (origin?.source) {
    case "cli":
      return ` (from flag ${origin.label})`;
    case "env":
      return ` (from environment variable ${origin.label})`;
    case "file":
      return ` (from config "${origin.label}")`;
    default:
      return "";
  }
}

/**
 * Names a value by its origin: `--crf 99`, `ENCODER_CRF=99`, `"encode_daemon.crf" = 99 in
 * "/home/a/.config/twitchtool/config.toml:4"`, or `"encode_daemon.crf" 99` for a default.
 */
export function describeValue(
  key: string,
  value: unknown,
  origin: ValueOrigin | undefined,
): string {
  const shown = JSON.stringify(value);
  switch (origin?.source) {
    case "cli":
      return `${origin.label} ${shown}`;
    case "env":
      return `environment variable ${origin.label}=${shown}`;
    case "file":
      return `"${key}" = ${shown} in config "${origin.label}"`;
    default:
      return `"${key}" ${shown}`;
  }
}
