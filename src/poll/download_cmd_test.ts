import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { binaryFlags } from "../permissions.ts";
import {
  isDenoRuntime,
  parseDownloadCmd,
  recorderArgs,
  resolveDownloadCmd,
} from "./download_cmd.ts";

Deno.test("parseDownloadCmd() splits words and honours simple quotes", () => {
  assert.deepEqual(parseDownloadCmd("twitchtool record"), ["twitchtool", "record"]);
  assert.deepEqual(parseDownloadCmd(`  /opt/my tool/x  'a b'  "c d" e`), [
    "/opt/my",
    "tool/x",
    "a b",
    "c d",
    "e",
  ]);
  assert.deepEqual(parseDownloadCmd(`"/opt/my tool/rec" --flag`), ["/opt/my tool/rec", "--flag"]);
});

Deno.test("parseDownloadCmd() refuses shells, shell operators, unclosed quotes and emptiness", () => {
  const refused = [
    "sh -c 'twitchtool record'",
    "/bin/bash record.sh",
    "env zsh -c x",
    "twitchtool record; rm -rf ~",
    "twitchtool record | tee x",
    "twitchtool record && echo",
    "twitchtool record > log",
    "twitchtool record < in",
    "twitchtool `id`",
    "twitchtool $(id)",
    "twitchtool $HOME",
    "twitchtool record &",
    "twitchtool 'record",
    "   ",
  ];
  for (const command of refused) {
    assert.throws(
      () => parseDownloadCmd(command),
      (error: unknown) =>
        error instanceof ConfigError && error.exitCode === 2 &&
        error.message.startsWith(`Cannot use download_cmd ${JSON.stringify(command)}`),
      command,
    );
  }
  assert.throws(
    () => parseDownloadCmd("sh -c x", { source: "file", label: "/c.toml:7" }),
    /^ConfigError: Cannot use download_cmd "sh -c x" \(from config "\/c.toml:7"\): /,
  );
});

const found = (paths: Record<string, string>) => (name: string) => Promise.resolve(paths[name]);

Deno.test("resolveDownloadCmd() prefers twitchtool on PATH", async () => {
  const command = await resolveDownloadCmd(
    ["twitchtool", "record"],
    found({ twitchtool: "/usr/local/bin/twitchtool" }),
    { execPath: "/usr/bin/deno", mainScript: "/src/main.ts" },
  );
  assert.deepEqual(command, { program: "/usr/local/bin/twitchtool", args: ["record"] });
});

Deno.test("resolveDownloadCmd() falls back to the compiled binary itself", async () => {
  const command = await resolveDownloadCmd(["twitchtool", "record"], found({}), {
    execPath: "/home/u/.local/bin/twitchtool-dev",
    mainScript: "/src/main.ts",
  });
  assert.deepEqual(command, { program: "/home/u/.local/bin/twitchtool-dev", args: ["record"] });
});

Deno.test("resolveDownloadCmd() under deno run uses deno, the same flags and src/main.ts", async () => {
  const command = await resolveDownloadCmd(["twitchtool", "record"], found({}), {
    execPath: "/usr/bin/deno",
    mainScript: "/repo/src/main.ts",
  });
  assert.deepEqual(command, {
    program: "/usr/bin/deno",
    args: ["run", ...binaryFlags(), "/repo/src/main.ts", "record"],
  });
});

Deno.test("resolveDownloadCmd() fails with exit 2 on a program not on PATH", async () => {
  await assert.rejects(
    resolveDownloadCmd(["my-recorder", "--x"], found({}), {
      execPath: "/usr/bin/deno",
      mainScript: "/src/main.ts",
    }),
    (error: unknown) => error instanceof ConfigError && error.message.includes('"my-recorder"'),
  );
});

Deno.test("isDenoRuntime() recognises the deno executable only", () => {
  assert.equal(isDenoRuntime("/usr/bin/deno"), true);
  assert.equal(isDenoRuntime("/home/u/.local/bin/twitchtool"), false);
});

Deno.test("recorderArgs() appends the user, quality and the passed-through options", () => {
  const command = { program: "/bin/twitchtool", args: ["record"] };
  assert.deepEqual(recorderArgs(command, "alpha", { quality: "best" }), [
    "record",
    "alpha",
    "--quality",
    "best",
  ]);
  assert.deepEqual(
    recorderArgs(command, "alpha", { quality: "720p", configPath: "/c.toml", recordLimit: 2 }),
    ["record", "alpha", "--quality", "720p", "--config", "/c.toml", "--record-limit", "2"],
  );
});
