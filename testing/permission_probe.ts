/**
 * Started by permissions_test.ts with a role's exact flags: applies a subcommand's permission
 * drop (and the one after reading the config, with or without HTTP notification targets), then tries each capability for real and prints which ones worked as JSON.
 */
import { dropPermissionsFor, settleNetPermission } from "../src/permissions.ts";

/**
 * `notify=http`: the config read at start-up has an HTTP notification target; `notify=chat`:
 * it has `[chat] enabled`.
 */
const [command, scratch, notify] = Deno.args;
if (command !== "none") {
  await dropPermissionsFor(command!);
  await settleNetPermission(command, notify === "http", notify === "chat");
}

/** Listens on a free port of `hostname` and closes at once. */
function listenOnce(hostname: string): Promise<void> {
  Deno.listen({ hostname, port: 0 }).close();
  return Promise.resolve();
}

async function attempt(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    return true;
  }
}

const result = {
  run: await attempt(() =>
    new Deno.Command("ffprobe", { args: ["-version"], stdout: "null" }).output()
  ),
  runShell: await attempt(() => new Deno.Command("sh", { args: ["-c", "true"] }).output()),
  write: await attempt(() => Deno.writeTextFile(`${scratch}/probe.txt`, "x")),
  read: await attempt(() => Deno.readTextFile("/etc/hostname")),
  net: await attempt(() => Deno.connect({ hostname: "127.0.0.1", port: 65000 })),
  // A name that never resolves: allowed means a DNS error, denied a permission error.
  netOther: await attempt(() => fetch("http://example.invalid/")),
  // The status page's listening: loopback, every interface, and an address nobody allowed.
  listenLoopback: await attempt(() => listenOnce("127.0.0.1")),
  listenAll: await attempt(() => listenOnce("0.0.0.0")),
  listenOther: await attempt(() => listenOnce("127.0.0.2")),
  // Asked, not tried: the tests never leave loopback.
  netApi: (await Deno.permissions.query({ name: "net", host: "gql.twitch.tv" })).state ===
    "granted",
  netChat: (await Deno.permissions.query({ name: "net", host: "irc-ws.chat.twitch.tv" })).state ===
    "granted",
  envHome: await attempt(() => Promise.resolve(Deno.env.get("HOME"))),
  envSecret: await attempt(() => Promise.resolve(Deno.env.get("AWS_SECRET_ACCESS_KEY"))),
};
console.log(JSON.stringify(result));
