/**
 * Each role and subcommand runs with only the permissions it needs: proven by a probe run
 * under the exact flags, not by reading the flag lists.
 */
import assert from "node:assert/strict";
import { binaryFlags, roleFlags } from "../src/permissions.ts";
import denoConfig from "../deno.json" with { type: "json" };

const PROBE = new URL("./support/permission_probe.ts", import.meta.url).pathname;

async function probe(flags: string[], command: string) {
  const scratch = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...flags, PROBE, command, scratch],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    return JSON.parse(stdout) as Record<string, boolean>;
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

Deno.test("the compiled binary's flags allow network access only to the API hosts and loopback, and no foreign environment variables", async () => {
  const caps = await probe(binaryFlags(), "none");
  assert.equal(caps.net, true, "loopback");
  assert.equal(caps.netOther, false, "any other host");
  assert.equal(caps.envSecret, false);
  assert.equal(caps.envHome, true);
});

Deno.test("only poller run keeps network access after dispatch, and only to the API hosts and loopback", async () => {
  const poller = await probe(binaryFlags(), "poller run");
  assert.deepEqual([poller.net, poller.netOther], [true, false]);
  const pollerRole = await probe(roleFlags("poller"), "poller run");
  assert.deepEqual([pollerRole.net, pollerRole.netOther], [true, false]);
  for (
    const command of [
      "recover",
      "status",
      "poller",
      "stop",
      "clean",
      "users",
      "doctor",
      "encode-daemon",
      "tscompress",
      "encode-mode",
      "help",
    ]
  ) {
    const caps = await probe(binaryFlags(), command);
    assert.deepEqual([caps.net, caps.netOther], [false, false], `${command} has network access`);
  }
});

Deno.test("status and users cannot start programs after dispatch; help cannot write either", async () => {
  for (const command of ["status", "users", "clean", "encode-mode"]) {
    const caps = await probe(binaryFlags(), command);
    assert.equal(caps.run, false, `${command} can run programs`);
    assert.equal(caps.runShell, false, `${command} can run a shell`);
    assert.equal(caps.net, false, `${command} has net`);
    assert.equal(caps.write, true, `${command} needs to write state`);
  }
  const help = await probe(binaryFlags(), "help");
  assert.deepEqual([help.run, help.write, help.read], [false, false, true]);
});

Deno.test("history and completions only read: no programs, no writes, no network", async () => {
  for (const command of ["history", "completions"]) {
    const caps = await probe(binaryFlags(), command);
    assert.deepEqual(
      [caps.run, caps.runShell, caps.write, caps.net, caps.read],
      [false, false, false, false, true],
      command,
    );
  }
});

Deno.test("the record role can start streamlink/ffmpeg/ffprobe but not a shell", async () => {
  const caps = await probe(roleFlags("record"), "record");
  assert.equal(caps.run, true);
  assert.equal(caps.runShell, false);
});

Deno.test("record reaches only Twitch's chat and loopback, never the API hosts or others", async () => {
  for (const flags of [roleFlags("record"), binaryFlags()]) {
    const caps = await probe(flags, "record");
    assert.deepEqual(
      [caps.net, caps.netChat, caps.netApi, caps.netOther],
      [true, true, false, false],
      flags.join(" "),
    );
  }
  const poller = await probe(binaryFlags(), "poller run");
  assert.deepEqual([poller.netChat, poller.netApi], [true, true]);
});

Deno.test("the encoder role cannot start a shell", async () => {
  const caps = await probe(roleFlags("encoder"), "encode-daemon");
  assert.equal(caps.run, true);
  assert.equal(caps.runShell, false);
});

Deno.test("deno.json role tasks use exactly the flags declared in src/permissions.ts", () => {
  const tasks = denoConfig.tasks as Record<string, string>;
  const expected: Record<string, string> = {
    record: `deno run ${roleFlags("record").join(" ")} src/main.ts record`,
    encoder: `deno run ${roleFlags("encoder").join(" ")} src/main.ts encode-daemon run`,
    poller: `deno run ${roleFlags("poller").join(" ")} src/main.ts poller run`,
    twitchtool: `deno run ${binaryFlags().join(" ")} src/main.ts`,
  };
  for (const [task, command] of Object.entries(expected)) assert.equal(tasks[task], command, task);
});
