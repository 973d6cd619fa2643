import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigWatch, keepFixed } from "./config_watch.ts";
import { loadConfig } from "./load_config.ts";
import { FakeClock } from "../../testing/fake_clock.ts";

Deno.test("ConfigWatch applies a changed file, refuses a broken one keeping the last good, and keeps fixed keys", async () => {
  const home = await Deno.makeTempDir();
  try {
    const path = join(home, "c.toml");
    const load = async () =>
      (await loadConfig({ configPath: path, env: (name) => ({ HOME: home })[name] })).config;
    await Deno.writeTextFile(path, `[record]\nquality = "best"\n[web]\nlisten = "127.0.0.1:1"\n`);
    const applied: string[] = [];
    const refused: string[] = [];
    const watch = await ConfigWatch.start(await load(), {
      load,
      fixed: ["web.", "paths."],
      clock: new FakeClock(),
      applied: (config) => applied.push(config.record.quality),
      refused: (_path, error) => refused.push(error),
    });
    assert.equal(await watch.check(), "unchanged");

    await Deno.writeTextFile(path, `[record]\nquality = "720p"\n[web]\nlisten = "127.0.0.1:2"\n`);
    assert.equal(await watch.check(), "applied");
    assert.equal(watch.current.record.quality, "720p");
    assert.equal(watch.current.web.listen, "127.0.0.1:1", "web.listen needs a restart");
    assert.deepEqual(watch.state.restart_needed, ["web.listen"]);

    await Deno.writeTextFile(path, `[record]\nqualty = "480p"\n`);
    assert.equal(await watch.check(), "refused");
    assert.equal(watch.current.record.quality, "720p");
    assert.equal(watch.state.in_force, false);
    assert.match(watch.state.error!.message, /Unknown key "record\.qualty"/);
    assert.equal(await watch.check(), "unchanged", "a broken file is read once per change");
    assert.equal(await watch.check(true), "refused", "SIGHUP reads it again");
    assert.deepEqual([applied, refused.length], [["720p"], 1]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keepFixed() keeps the running paths whatever the file says", async () => {
  const home = await Deno.makeTempDir();
  try {
    const env = (name: string) => ({ HOME: home })[name];
    const running = (await loadConfig({ env })).config;
    const next = { ...running, paths: { ...running.paths, recordDir: "/elsewhere" } };
    const { config, restartNeeded } = keepFixed(running, next, ["paths."]);
    assert.equal(config.paths.recordDir, running.paths.recordDir);
    assert.deepEqual(restartNeeded, ["paths.record_dir"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
