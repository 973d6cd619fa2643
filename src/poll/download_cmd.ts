/**
 * Turns `poller.download_cmd` into the argv of a recorder. The command is user input (config
 * file, `DOWNLOAD_CMD`, `--download-cmd`) and the poller runs it with a channel name appended,
 * so it is never handed to a shell: it is split into words here and anything that only means
 * something to a shell is refused rather than silently passed as a literal argument.
 */
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { fromOrigin, type ValueOrigin } from "../config/value_origin.ts";
import { ConfigError } from "../errors.ts";
import { binaryFlags } from "../permissions.ts";

/** Programs that would re-introduce a shell (and its injection risks) between us and the recorder. */
export const SHELLS: ReadonlySet<string> = new Set([
  "sh",
  "bash",
  "rbash",
  "dash",
  "ash",
  "zsh",
  "ksh",
  "mksh",
  "pdksh",
  "yash",
  "csh",
  "tcsh",
  "fish",
  "busybox",
  "nu",
  "xonsh",
  "elvish",
  "pwsh",
]);

/** Characters that are shell syntax: sequencing, pipes, redirection, substitution, grouping. */
const SHELL_OPERATOR = /[;|&<>`$()\n\r]/;

/** The program name `download_cmd` uses for this tool; looked up on PATH, else this binary. */
export const SELF_NAME = "twitchtool";

/**
 * Splits `download_cmd` into words: whitespace separates, '...' or "..." group a word with
 * spaces (no escapes inside). Fails with exit code 2 on a shell, a shell operator, an unclosed
 * quote or an empty command.
 */
export function parseDownloadCmd(command: string, origin?: ValueOrigin): string[] {
  const fail = (detail: string) =>
    new ConfigError(
      `Cannot use download_cmd ${JSON.stringify(command)}${fromOrigin(origin)}: ${detail}`,
    );
  const operator = SHELL_OPERATOR.exec(command);
  if (operator) {
    throw fail(
      `it contains the shell operator ${
        JSON.stringify(operator[0])
      }; the poller never runs a shell, give the recorder program and its arguments only`,
    );
  }
  const words: string[] = [];
  let current: string | undefined;
  let quote: string | undefined;
  for (const char of command) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      current ??= "";
    } else if (/\s/.test(char)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else {
      current = (current ?? "") + char;
    }
  }
  if (quote) throw fail(`unclosed ${quote} quote`);
  if (current !== undefined) words.push(current);
  if (words.length === 0 || words[0] === "") throw fail("it names no program");
  const shell = words.find((word) => SHELLS.has(basename(word)));
  if (shell !== undefined) {
    throw fail(
      `it runs the shell ${
        JSON.stringify(shell)
      }; the poller never runs a shell, give the recorder program and its arguments only`,
    );
  }
  return words;
}

/**
 * Whether `download_cmd` is the default `twitchtool record`: then the poller records in its own
 * process instead of launching one recorder process per channel.
 */
export function isSelfRecord(words: readonly string[]): boolean {
  return words.length === 2 && words[0] === SELF_NAME && words[1] === "record";
}

/** A program and the arguments that come before `<user> --quality Q ...`. */
export interface LaunchCommand {
  readonly program: string;
  readonly args: readonly string[];
}

/** Where the running program lives, injected so resolution is testable. */
export interface SelfLocation {
  /** `Deno.execPath()`: the compiled binary, or the deno executable under `deno run`. */
  readonly execPath: string;
  /** Absolute path of `src/main.ts` (used only under `deno run`). */
  readonly mainScript: string;
}

/** The real {@link SelfLocation}: this process's executable and the `src/main.ts` beside us. */
export function currentSelf(): SelfLocation {
  return {
    execPath: Deno.execPath(),
    mainScript: fileURLToPath(new URL("../main.ts", import.meta.url)),
  };
}

/** Whether `execPath` is the deno CLI itself, i.e. we run as `deno run src/main.ts`. */
export function isDenoRuntime(execPath: string): boolean {
  return /^deno(\.exe)?$/.test(basename(execPath));
}

/**
 * Resolves the words of `download_cmd` to a program. `twitchtool` is looked up on PATH and,
 * when absent, means this very program: the compiled binary, or under `deno run` the deno
 * executable with the same permission flags and our `src/main.ts` (so a development checkout
 * launches recorders from the same source). Other programs must be found on PATH (or be a
 * path); a missing one fails at start-up with exit code 2 instead of at every launch.
 */
export async function resolveDownloadCmd(
  words: readonly string[],
  find: (name: string) => Promise<string | undefined>,
  self: SelfLocation,
): Promise<LaunchCommand> {
  const [name, ...rest] = words;
  if (name === undefined) throw new ConfigError("Cannot use an empty download_cmd");
  const found = await find(name);
  if (found) return { program: found, args: rest };
  if (name !== SELF_NAME) {
    throw new ConfigError(
      `Cannot find "${name}" (from download_cmd ${
        JSON.stringify(words.join(" "))
      }) on PATH: install it or give its full path`,
    );
  }
  if (isDenoRuntime(self.execPath)) {
    return { program: self.execPath, args: ["run", ...binaryFlags(), self.mainScript, ...rest] };
  }
  return { program: self.execPath, args: rest };
}

/** What a launched recorder is told besides the channel. */
export interface RecorderOptions {
  readonly quality: string;
  /** The poller's `--config`, passed through so both read the same file. */
  readonly configPath?: string | undefined;
  /** The poller's `--record-limit`, passed through so both enforce the same cap. */
  readonly recordLimit?: number | undefined;
}

/** Full argv (after the program) for recording `user`: `... <user> --quality Q [--config P]`. */
export function recorderArgs(
  command: LaunchCommand,
  user: string,
  options: RecorderOptions,
): string[] {
  return [
    ...command.args,
    user,
    "--quality",
    options.quality,
    ...(options.configPath ? ["--config", options.configPath] : []),
    ...(options.recordLimit !== undefined ? ["--record-limit", String(options.recordLimit)] : []),
  ];
}

/**
 * Environment variables that tell a launched recorder which broadcast the API saw: an
 * environment (not arguments) because `download_cmd` may be any program, and one that does
 * not know them simply ignores them. `twitchtool record` writes them into the session manifest.
 */
export const STREAM_ENV = {
  id: "TWITCHTOOL_STREAM_ID",
  liveSince: "TWITCHTOOL_LIVE_SINCE",
  vodId: "TWITCHTOOL_VOD_ID",
} as const;

/** The environment a recorder gets for a broadcast the API reported (empty when unknown). */
export function recorderEnv(
  stream: { readonly id: string; readonly createdAt: string; readonly vodId?: string } | undefined,
): Record<string, string> {
  if (!stream) return {};
  return {
    [STREAM_ENV.id]: stream.id,
    [STREAM_ENV.liveSince]: stream.createdAt,
    ...(stream.vodId ? { [STREAM_ENV.vodId]: stream.vodId } : {}),
  };
}
