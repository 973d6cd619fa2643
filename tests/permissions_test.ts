/**
 * Each role and subcommand runs with only the permissions it needs: proven by a probe run
 * under the exact flags, not by reading the flag lists.
 */
import assert from "node:assert/strict";
import { binaryFlags, roleFlags } from "../src/permissions.ts";
import denoConfig from "../deno.json" with { type: "json" };

const PROBE = new URL("../testing/permission_probe.ts", import.meta.url).pathname;

async function probe(flags: string[], command: string, notify = "none") {
  const scratch = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...flags, PROBE, command, scratch, notify],
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

Deno.test("the compiled binary's flags allow network access (notification hosts come from the config) and no foreign environment variables", async () => {
  const caps = await probe(binaryFlags(), "none");
  assert.equal(caps.net, true, "loopback");
  assert.equal(caps.netOther, true, "any other host, until a command drops it");
  assert.equal(caps.envSecret, false);
  assert.equal(caps.envHome, true);
});

Deno.test("without HTTP notification targets only poller run and doctor keep network access", async () => {
  const poller = await probe(binaryFlags(), "poller run");
  assert.deepEqual([poller.net, poller.netOther], [true, true]);
  const pollerRole = await probe(roleFlags("poller"), "poller run");
  assert.equal(pollerRole.net, true);
  // doctor checks that Twitch answers; it contacts only DOCTOR_NET_HOSTS (doctor_network.ts).
  const doctor = await probe(binaryFlags(), "doctor");
  assert.equal(doctor.net, true);
  for (
    const command of [
      "recover",
      "status",
      "poller",
      "stop",
      "clean",
      "clean --retention",
      "users",
      "encode-daemon",
      "encode-daemon run",
      "notify test",
      "notify flush",
      "tscompress",
      "encode-mode",
      "help",
    ]
  ) {
    const caps = await probe(binaryFlags(), command);
    assert.deepEqual([caps.net, caps.netOther], [false, false], `${command} has network access`);
  }
});

Deno.test("with an HTTP notification target the commands that notify keep network access, the others do not", async () => {
  for (
    const command of ["record", "recover", "encode-daemon run", "clean --retention", "notify flush"]
  ) {
    const caps = await probe(binaryFlags(), command, "http");
    assert.equal(caps.net, true, `${command} cannot notify`);
  }
  const encoder = await probe(roleFlags("encoder"), "encode-daemon run", "http");
  assert.equal(encoder.net, true);
  for (const command of ["status", "stop", "clean", "users", "encode-daemon", "help"]) {
    const caps = await probe(binaryFlags(), command, "http");
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

Deno.test("the status page may listen on loopback and 0.0.0.0 from poller run and status --serve only", async () => {
  for (
    const [flags, command] of [[binaryFlags(), "poller run"], [roleFlags("poller"), "poller run"], [
      binaryFlags(),
      "status --serve",
    ]] as const
  ) {
    const caps = await probe([...flags], command);
    // Other hosts stay reachable too: the roles start with a plain --allow-net because
    // notification hosts come from the config (docs/notifications.md).
    assert.deepEqual(
      [caps.listenLoopback, caps.listenAll, caps.run],
      [true, true, command === "poller run"],
      command,
    );
  }
  for (const command of ["status", "record", "history"]) {
    const caps = await probe(binaryFlags(), command);
    assert.deepEqual([caps.listenLoopback, caps.listenAll], [false, false], command);
  }
});

Deno.test("the record role can start streamlink/ffmpeg/ffprobe but not a shell", async () => {
  const caps = await probe(roleFlags("record"), "record");
  assert.equal(caps.run, true);
  assert.equal(caps.runShell, false);
});

Deno.test("record keeps the network only with [chat] enabled; the poller reaches chat and API", async () => {
  for (const flags of [roleFlags("record"), binaryFlags()]) {
    const chat = await probe(flags, "record", "chat");
    assert.deepEqual([chat.net, chat.netChat], [true, true], flags.join(" "));
    const quiet = await probe(flags, "record");
    assert.deepEqual([quiet.net, quiet.netChat, quiet.netApi], [false, false, false]);
  }
  const poller = await probe(binaryFlags(), "poller run");
  assert.deepEqual([poller.netChat, poller.netApi], [true, true]);
});

Deno.test("the encoder role cannot start a shell", async () => {
  const caps = await probe(roleFlags("encoder"), "encode-daemon");
  assert.equal(caps.run, true);
  assert.equal(caps.runShell, false);
});

/** A deno.json task in object form: what it runs and what `deno task` says it is for. */
interface TaskEntry {
  readonly command: string;
  readonly description: string;
}

Deno.test("deno.json role tasks use exactly the flags declared in src/permissions.ts", () => {
  const tasks = Object.fromEntries(
    Object.entries(denoConfig.tasks as Record<string, TaskEntry>).map(([name, task]) => [
      name,
      task.command,
    ]),
  );
  const expected: Record<string, string> = {
    record: `deno run ${roleFlags("record").join(" ")} src/main.ts record`,
    encoder: `deno run ${roleFlags("encoder").join(" ")} src/main.ts encode-daemon run`,
    poller: `deno run ${roleFlags("poller").join(" ")} src/main.ts poller run`,
    twitchtool: `deno run ${binaryFlags().join(" ")} src/main.ts`,
  };
  for (const [task, command] of Object.entries(expected)) assert.equal(tasks[task], command, task);
});

Deno.test("every deno task has a description, and `deno task` lists it", async () => {
  const tasks = denoConfig.tasks as Record<string, TaskEntry>;
  const root = new URL("..", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  const listing = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  for (const [name, task] of Object.entries(tasks)) {
    assert.equal(typeof task.command, "string", name);
    assert.ok(task.description?.length >= 20, `${name} needs a description`);
    assert.ok(listing.includes(`- ${name}\n    // ${task.description}\n`), `${name}: ${listing}`);
  }
});
