/**
 * `deno task role-tasks`: rewrites the role tasks' commands in deno.json from
 * src/permissions.ts (which takes the config variables from the schema), so adding a config
 * key or a permission is one edit plus this task; tests/permissions_test.ts fails until then.
 */
import { binaryFlags, type Role, roleFlags } from "../src/permissions.ts";

const path = new URL("../deno.json", import.meta.url);
const json = JSON.parse(await Deno.readTextFile(path));
const tasks = json.tasks as Record<string, { command: string }>;
const role = (name: Role, args: string) =>
  `deno run ${roleFlags(name).join(" ")} src/main.ts ${args}`;
tasks.record!.command = role("record", "record");
tasks.encoder!.command = role("encoder", "encode-daemon run");
tasks.poller!.command = role("poller", "poller run");
tasks.twitchtool!.command = `deno run ${binaryFlags().join(" ")} src/main.ts`;
await Deno.writeTextFile(path, JSON.stringify(json, null, 2) + "\n");
console.log("deno.json: role task commands rewritten from src/permissions.ts");
