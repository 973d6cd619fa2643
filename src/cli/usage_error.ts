/**
 * One style for every usage error: commander's own (`error: unknown command 'bogus'`) and ours
 * (`help nosuch`) both become a {@link UsageError} logged like any other error, with the value
 * quoted as our messages quote it, and exit code 2.
 */
import type { Command, CommanderError } from "@commander-js/extra-typings";
import { closestName } from "../config/closest_name.ts";
import { UsageError } from "../errors.ts";

/**
 * `Unknown command "poller sideways": "sideways" is not one of run, stop, status`, or with a
 * near miss `Unknown command "stauts": did you mean "status"?`.
 */
export function unknownCommandError(
  parent: Command,
  path: readonly string[],
  name: string,
): UsageError {
  const known = parent.commands.map((sub) => sub.name());
  const guess = closestName(name, known.map((sub) => ({ match: sub, name: sub })));
  const hint = guess
    ? `did you mean "${[...path, guess].join(" ")}"?`
    : `"${name}" is not one of ${known.join(", ")}`;
  return new UsageError(`Unknown command "${[...path, name].join(" ")}": ${hint}`);
}

/**
 * The UsageError for a commander parse error, given the argv it parsed: commander's lower-case
 * message with single quotes becomes a sentence with double quotes, its "Did you mean"
 * suggestion is kept, and the command whose help explains the usage is named.
 */
export function commanderUsageError(
  root: Command,
  args: readonly string[],
  error: CommanderError,
): UsageError {
  const { command, path } = commandOf(root, args);
  if (error.code === "commander.unknownCommand") {
    const name = /'([^']*)'/.exec(error.message)?.[1] ?? "";
    return unknownCommandError(command, path, name);
  }
  const [first = "", ...rest] = error.message.replace(/^error: /, "").split("\n");
  const sentence = first.replace(/'([^']*)'/g, '"$1"').replace(/^./, (c) => c.toUpperCase())
    .replace(/\.$/, "").replace(/\. (\w)/g, (_, c: string) => `: ${c.toLowerCase()}`);
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(" "))?.[1];
  const hint = suggestion
    ? `: did you mean "${suggestion}"?`
    : ` (run "twitchtool help${path.map((name) => ` ${name}`).join("")}" for usage)`;
  return new UsageError(`${sentence}${hint}`, { cause: error });
}

/** The deepest command `args` name (options and their values are skipped as unknown words). */
function commandOf(root: Command, args: readonly string[]): { command: Command; path: string[] } {
  let command = root;
  const path: string[] = [];
  for (const arg of args) {
    const next = command.commands.find((sub) => sub.name() === arg || sub.aliases().includes(arg));
    if (!next) continue;
    command = next as Command;
    path.push(next.name());
  }
  return { command, path };
}
