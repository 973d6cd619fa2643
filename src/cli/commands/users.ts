import { addUsers, editUsersFile, readUsersFile, removeUsers } from "../../poll/users_file.ts";
import { type GlobalOptions, loadCommandConfig } from "../context.ts";
import { printLine } from "../output.ts";
import { parseShard, type Shard, shardOf } from "../../poll/shard.ts";
import { getLogger } from "@logtape/logtape";

/** The users file in effect (`users --users-file` arrives in `globals`). */
async function usersFilePath(globals: GlobalOptions): Promise<string> {
  const config = await loadCommandConfig(globals);
  return config.poller.usersFile;
}

/** `twitchtool users list`: the watched channels, one per line; invalid lines as warnings. */
export async function usersListCommand(
  globals: GlobalOptions,
): Promise<number> {
  const config = await loadCommandConfig(globals);
  const path = config.poller.usersFile;
  const list = await readUsersFile(path);
  const log = getLogger(["twitchtool", "users"]);
  if (!list) {
    log.warn('Users file {path} does not exist yet: add channels with "twitchtool users add"', {
      path,
    });
    return 0;
  }
  for (const entry of list.invalid) {
    log.warn("Line {line} of {path} is not a valid channel name: {text}", {
      line: entry.line,
      path,
      text: entry.text,
    });
  }
  const shard = parseShard(config.poller.shard);
  for (const user of list.users) printLine(shard ? shardLine(user, shard) : user);
  return 0;
}

/** `twitchtool users add <names...>`: appends new channels; all-or-nothing on invalid names. */
export async function usersAddCommand(
  names: string[],
  globals: GlobalOptions,
): Promise<number> {
  const path = await usersFilePath(globals);
  const result = await editUsersFile(path, (text) => addUsers(text, names));
  if (result.added.length) printLine(`Added to ${path}: ${result.added.join(", ")}`);
  if (result.present.length) printLine(`Already listed: ${result.present.join(", ")}`);
  return 0;
}

/** `twitchtool users remove <names...>`: removes channels' lines, keeping everything else. */
export async function usersRemoveCommand(
  names: string[],
  globals: GlobalOptions,
): Promise<number> {
  const path = await usersFilePath(globals);
  const result = await editUsersFile(path, (text) => removeUsers(text, names));
  if (result.removed.length) printLine(`Removed from ${path}: ${result.removed.join(", ")}`);
  if (result.missing.length) printLine(`Not listed: ${result.missing.join(", ")}`);
  return 0;
}

/** `alice  shard 2/3 (this host)`: the channel, its shard, and whether this host records it. */
function shardLine(user: string, shard: Shard): string {
  const own = shardOf(user, shard.count);
  return `${user.padEnd(25)}  shard ${own}/${shard.count}${
    own === shard.index ? " (this host)" : ""
  }`;
}
