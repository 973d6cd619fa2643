import assert from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import { CONFIG_FIELDS, fieldName } from "../config/schema.ts";
import { keyOption, keyOverrides, negatedKeyOption, type ParsedCommand } from "./key_option.ts";

/** Parses `args` against `users` (with --users-file) > `list`, returning the `list` command. */
function parseUsersList(args: string[]): ParsedCommand {
  let leaf: ParsedCommand | undefined;
  const root = new Command("twitchtool").exitOverride();
  const users = root.command("users").addOption(keyOption("poller.users_file", "the users file"));
  users.command("list").action((_options, command) => {
    leaf = command;
  });
  root.parse(args, { from: "user" });
  return leaf!;
}

/** Parses `args` against a `record`-like command with a value option and a switch pair. */
function parseRecord(args: string[]): ParsedCommand {
  const command = new Command("record")
    .exitOverride()
    .addOption(keyOption("record.quality"))
    .addOption(keyOption("record.enable_remux"))
    .addOption(negatedKeyOption("record.enable_remux", "deliver a merged .ts"))
    .option("--fail-fast", "not a key");
  command.parse(args, { from: "user" });
  return command;
}

Deno.test("keyOption() takes the flags and help from the schema entry, or the command's wording", () => {
  const option = keyOption("record.retry_delay");
  assert.equal(option.flags, "--retry-delay <seconds>");
  assert.equal(option.description, "longest wait between attempts while offline");
  assert.equal(keyOption("limits.record_limit", "number of slots").description, "number of slots");
  assert.equal(negatedKeyOption("chat.enabled", "do not capture chat").flags, "--no-chat");
});

Deno.test("keyOverrides() reads each given key option by key, naming the flag", () => {
  assert.deepEqual(keyOverrides(parseRecord(["--quality", "720p", "--no-remux", "--fail-fast"])), {
    "record.quality": { value: "720p", flag: "--quality" },
    "record.enable_remux": { value: false, flag: "--remux" },
  });
  assert.deepEqual(keyOverrides(parseRecord(["--remux"])), {
    "record.quality": undefined,
    "record.enable_remux": { value: true, flag: "--remux" },
  });
});

Deno.test("keyOverrides() includes key options of the parent command (users --users-file)", () => {
  for (
    const args of [["users", "--users-file", "u.txt", "list"], [
      "users",
      "list",
      "--users-file",
      "u.txt",
    ]]
  ) {
    assert.deepEqual(keyOverrides(parseUsersList(args)), {
      "poller.users_file": { value: "u.txt", flag: "--users-file" },
    });
  }
});

Deno.test("a key's option takes a value unless the key is a switch (bool)", () => {
  for (const field of CONFIG_FIELDS) {
    if (!field.option) continue;
    const takesValue = /^--[a-z-]+ <[^>]+>$/.test(field.option.flags);
    assert.equal(takesValue, field.kind !== "bool", fieldName(field));
    assert.match(field.option.flags, /^--[a-z-]+( <[^>]+>)?$/, fieldName(field));
  }
});
