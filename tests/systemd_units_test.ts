/**
 * The systemd user units are valid (`systemd-analyze verify`) and hardened: `systemd-analyze
 * security` (offline, as no systemd runs in a test container) rates both below 5. Skipped where
 * systemd-analyze is not installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const UNITS = ["twitch-poller.service", "twitch-encoderd.service"];
const unitPath = (name: string) => new URL(`../systemd/${name}`, import.meta.url).pathname;

const hasAnalyze = await new Deno.Command("systemd-analyze", { args: ["--version"] }).output()
  .then((output) => output.code === 0, () => false);

/** Runs systemd-analyze as a user manager would see it: a HOME holding the binary. */
async function analyze(args: string[]): Promise<{ code: number; text: string }> {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, ".local", "bin"), { recursive: true });
    const binary = join(home, ".local", "bin", "twitchtool");
    await Deno.writeTextFile(binary, "#!/bin/sh\n");
    await Deno.chmod(binary, 0o755);
    const runtime = join(home, "run");
    await Deno.mkdir(runtime, { mode: 0o700 });
    const output = await new Deno.Command("systemd-analyze", {
      args,
      env: { HOME: home, XDG_RUNTIME_DIR: runtime, SYSTEMD_COLORS: "0", PATH: "/usr/bin:/bin" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      text: decoder.decode(output.stdout) + decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test({
  name: "the systemd units pass systemd-analyze verify",
  ignore: !hasAnalyze,
  fn: async () => {
    const result = await analyze(["verify", "--user", ...UNITS.map(unitPath)]);
    assert.equal(result.code, 0, result.text);
    assert.equal(result.text.trim(), "", result.text);
  },
});

Deno.test({
  name: "systemd-analyze security rates both units below 5",
  ignore: !hasAnalyze,
  fn: async () => {
    for (const unit of UNITS) {
      const result = await analyze(["security", "--offline=true", "--user", unitPath(unit)]);
      const score = /Overall exposure level for \S+: (\d+\.\d)/.exec(result.text)?.[1];
      assert.ok(score, result.text);
      console.log(`${unit}: ${score}`);
      assert.ok(Number(score) < 5, `${unit} scores ${score}`);
    }
  },
});
