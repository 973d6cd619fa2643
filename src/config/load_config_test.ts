import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, UsageError } from "../errors.ts";
import { GIB } from "./config.ts";
import { inspectConfig, loadConfig, pathShapeProblem } from "./load_config.ts";
import { CONFIG_FIELDS } from "./schema.ts";

/** Every section, in schema order, as the unknown-section error lists them. */
const SECTIONS = [...new Set(CONFIG_FIELDS.map((field) => field.section)), "channel"].join(", ");

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir();
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadConfig() gives the original tool's defaults, all derived from HOME", async () => {
  await withHome(async (home) => {
    const { config, warnings } = await loadConfig({ env: envOf({ HOME: home }) });
    assert.deepEqual(warnings, []);
    assert.equal(config.paths.recordDir, join(home, "Downloads", "TwitchTool"));
    assert.equal(config.paths.queueDir, join(home, ".local/state/twitchtool/encode-queue"));
    assert.equal(config.paths.logsDir, join(home, ".local/state/twitchtool/logs"));
    assert.equal(config.paths.runtimeDir, join(home, ".local/state/twitchtool/run"));
    assert.equal(config.poller.usersFile, join(home, ".config/twitchtool/users.txt"));
    assert.equal(config.limits.recordLimit, 6);
    assert.equal(config.storage.diskFreeMinBytes, 10 * GIB);
    assert.deepEqual(config.record, {
      quality: "best",
      retryDelay: 60,
      retryWindow: 900,
      loglevel: "error",
      enableRemux: true,
      deleteTsAfterRemux: true,
      deleteInputOnSuccess: false,
      liveRemux: true,
    });
    assert.deepEqual(config.encodeDaemon, {
      preset: "medium",
      crf: 26,
      threads: 1,
      height: 480,
      fps: "auto",
      loglevel: "error",
      videoCodec: "libx265",
      audioBitrate: "128k",
    });
    assert.equal(config.poller.interval, 300);
    assert.equal(config.poller.timeout, 15);
    assert.equal(config.poller.probeConcurrency, 10);
    assert.equal(config.streamlink.urlTemplate, "https://twitch.tv/{user}");
    assert.equal(config.source.exists, false);
  });
});

Deno.test("loadConfig() prefers ~/Videos and honours XDG_* directories", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(join(home, "Videos"));
    const { config } = await loadConfig({
      env: envOf({
        HOME: home,
        XDG_STATE_HOME: "/xdg/state",
        XDG_RUNTIME_DIR: "/run/user/7",
        XDG_CONFIG_HOME: join(home, "cfg"),
      }),
    });
    assert.equal(config.paths.recordDir, join(home, "Videos", "TwitchTool"));
    assert.equal(config.paths.queueDir, "/xdg/state/twitchtool/encode-queue");
    assert.equal(config.paths.runtimeDir, "/run/user/7/twitchtool");
    assert.equal(config.source.path, join(home, "cfg", "twitchtool", "config.toml"));
  });
});

Deno.test("loadConfig() derives the session folder from record_dir, never inside a bare ~/Videos or ~/Downloads", async () => {
  await withHome(async (home) => {
    const tempDirOf = async (recordDir: string) =>
      (await loadConfig({
        env: envOf({ HOME: home }),
        overrides: {
          "paths.record_dir": { value: recordDir, flag: "--output-dir" },
        },
      })).config.paths.tempDir;
    assert.equal(await tempDirOf("~/rec"), join(home, "rec", "temp"));
    assert.equal(await tempDirOf("~/Videos"), join(home, "Videos", "TwitchTool", "temp"));
    assert.equal(await tempDirOf("~/Downloads/"), join(home, "Downloads", "TwitchTool", "temp"));
    assert.equal(
      await tempDirOf("~/Videos/TwitchTool"),
      join(home, "Videos", "TwitchTool", "temp"),
    );
    const { config } = await loadConfig({ env: envOf({ HOME: home }) });
    assert.equal(config.paths.tempDir, join(home, "Downloads", "TwitchTool", "temp"));
  });
});

Deno.test("loadConfig() applies CLI > environment > file > defaults", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(
      file,
      `[limits]\nrecord_limit = 2\n[record]\nquality = "720p"\nretry_delay = 5\nenable_remux = false\n[paths]\nrecord_dir = "~/rec"\n[storage]\ndisk_free_min_gb = 1\n`,
    );
    const { config } = await loadConfig({
      configPath: file,
      env: envOf({
        HOME: home,
        RECORD_LIMIT: "3",
        QUALITY: "480p",
        REMUX_ENABLED: "yes",
        DISK_FREE_MIN_BYTES: "100",
      }),
      overrides: { "limits.record_limit": { value: "4", flag: "--record-limit" } },
    });
    assert.equal(config.limits.recordLimit, 4, "CLI beats env and file");
    assert.equal(config.record.quality, "480p", "env beats file");
    assert.equal(config.record.retryDelay, 5, "file beats default");
    assert.equal(config.record.enableRemux, true, "env boolean words are read");
    assert.equal(config.paths.recordDir, join(home, "rec"), "~ expands to HOME");
    assert.equal(config.storage.diskFreeMinBytes, 100, "env bytes beats file GiB");
  });
});

Deno.test("loadConfig() reports TOML syntax errors with file, line and column", async () => {
  await withHome(async (home) => {
    const file = join(home, "bad.toml");
    await Deno.writeTextFile(file, `[record]\nquality = "best"\nretry_delay = \n`);
    await assert.rejects(
      loadConfig({ configPath: file, env: envOf({ HOME: home }) }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          new RegExp(`^Cannot parse config "${file}": line 3, column \\d+`),
        );
        return true;
      },
    );
  });
});

Deno.test("loadConfig() names the file, key and expectation for a wrong type", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(file, `[limits]\nrecord_limit = "many"\n`);
    await assert.rejects(loadConfig({ configPath: file, env: envOf({ HOME: home }) }), {
      name: "ConfigError",
      message:
        `Cannot use config "${file}": line 2: expected an integer from 1 to 64 for "limits.record_limit", got "many"`,
    });
  });
});

Deno.test("loadConfig() refuses quoted numbers and booleans in the file and names nan and inf, while the environment's text still reads", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(
      file,
      `[notify]\ngive_up_after = "300"\n[chat]\nenabled = "yes"\n[limits]\nrecord_limit = "100"\n` +
        `[retention]\nmax_age_days = nan\nmin_free_gb = inf\n[encode_daemon]\nfps = "30000/1001"\n`,
    );
    const where = `Cannot use config "${file}":`;
    await assert.rejects(loadConfig({ configPath: file, env: envOf({ HOME: home }) }), {
      name: "ConfigError",
      message: [
        `${where} line 2: expected a number >= 0 for "notify.give_up_after", got "300" (a string: write 300 without quotes)`,
        `${where} line 4: expected true or false for "chat.enabled", got "yes" (a string: write true without quotes)`,
        `${where} line 6: expected an integer from 1 to 64 for "limits.record_limit", got "100"`,
        `${where} line 8: expected a number >= 0 for "retention.max_age_days", got nan`,
        `${where} line 9: expected a number >= 0 for "retention.min_free_gb", got inf`,
      ].join("\n"),
    });
    const fromEnv = await loadConfig({
      env: envOf({ HOME: home, RECORD_LIMIT: " 3 ", REMUX_ENABLED: "off", POLL_INTERVAL: "2.5" }),
    });
    assert.equal(fromEnv.config.limits.recordLimit, 3);
    assert.equal(fromEnv.config.record.enableRemux, false);
    assert.equal(fromEnv.config.poller.interval, 2.5);
  });
});

Deno.test("loadConfig() names the variable for a bad environment value and the flag for a bad CLI value", async () => {
  await withHome(async (home) => {
    await assert.rejects(
      loadConfig({ env: envOf({ HOME: home, RETRY_WINDOW: "soon" }) }),
      /Cannot use environment variable RETRY_WINDOW="soon": expected a number >= 0 for "record.retry_window"/,
    );
    await assert.rejects(
      loadConfig({
        env: envOf({ HOME: home }),
        overrides: { "record.loglevel": { value: "loud", flag: "--loglevel" } },
      }),
      (error: Error) =>
        error instanceof UsageError &&
        /--loglevel: expected one of none, error/.test(error.message),
    );
  });
});

Deno.test("loadConfig() refuses unknown keys and sections, naming the line and the closest known key", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(
      file,
      `record_dirr = "/tmp/x"\n[record]\nqualty = "best"\n[pathz]\nrecord_dir = "/tmp/y"\n[extras]\nx = 1\n[limits]\nmystery = 2\n`,
    );
    const { problems } = await inspectConfig({ configPath: file, env: envOf({ HOME: home }) });
    assert.deepEqual(problems.map((p) => [p.name, p.exitCode, p.message]), [
      [
        "ConfigError",
        2,
        `Unknown key "record_dirr" in config "${file}": line 1: did you mean "paths.record_dir"?`,
      ],
      [
        "ConfigError",
        2,
        `Unknown key "record.qualty" in config "${file}": line 3: did you mean "record.quality"?`,
      ],
      [
        "ConfigError",
        2,
        `Unknown section "pathz" in config "${file}": line 4: did you mean "paths"?`,
      ],
      [
        "ConfigError",
        2,
        `Unknown section "extras" in config "${file}": line 6: known sections are ${SECTIONS}`,
      ],
      [
        "ConfigError",
        2,
        `Unknown key "limits.mystery" in config "${file}": line 9: [limits] has record_limit`,
      ],
    ]);
    await assert.rejects(loadConfig({ configPath: file, env: envOf({ HOME: home }) }), {
      name: "ConfigError",
      message: /record_dirr[^]*qualty[^]*pathz[^]*extras/,
    });
  });
});

Deno.test("loadConfig() notes where each set value came from: flag, environment variable, file:line", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(file, `# settings\n\n[encode_daemon]\npreset = "fast"\ncrf = 30\n`);
    const { config } = await loadConfig({
      configPath: file,
      env: envOf({ HOME: home, ENCODER_THREADS: "2" }),
      overrides: { "encode_daemon.crf": { value: "99", flag: "--crf" } },
    });
    assert.deepEqual(config.origins, {
      "encode_daemon.preset": { source: "file", label: `${file}:4` },
      "encode_daemon.threads": { source: "env", label: "ENCODER_THREADS" },
      "encode_daemon.crf": { source: "cli", label: "--crf" },
    });
  });
});

Deno.test("loadConfig() fails for a missing --config file but not for a missing default one", async () => {
  await withHome(async (home) => {
    await assert.rejects(
      loadConfig({ configPath: join(home, "nope.toml"), env: envOf({ HOME: home }) }),
      /Cannot read config ".*nope.toml": file does not exist/,
    );
    const { config } = await loadConfig({ env: envOf({ HOME: home }) });
    assert.equal(config.source.exists, false);
  });
});

Deno.test("inspectConfig() reports every bad value at once and falls back to defaults for them", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    await Deno.writeTextFile(join(home, "plain"), "x");
    await Deno.writeTextFile(
      file,
      `[paths]\nrecord_dir = "${home}/plain/rec"\n[limits]\nrecord_limit = 0\n`,
    );
    const { config, problems } = await inspectConfig({
      configPath: file,
      env: envOf({ HOME: home, QUEUE_DIR: join(home, "plain") }),
    });
    assert.deepEqual(problems.map((p) => p.message), [
      `Cannot use config "${file}": line 2: "paths.record_dir" = "${home}/plain/rec" cannot exist: "${home}/plain" is a file, not a folder`,
      `Cannot use config "${file}": line 4: expected an integer from 1 to 64 for "limits.record_limit", got 0`,
      `Cannot use environment variable QUEUE_DIR="${home}/plain": "paths.queue_dir" is a file, not a folder`,
    ]);
    assert.equal(config.limits.recordLimit, 6, "the default stands in");
    await assert.rejects(loadConfig({ configPath: file, env: envOf({ HOME: home }) }), {
      name: "ConfigError",
      message: new RegExp(`record_dir.*\\n.*record_limit`),
    });
  });
});

Deno.test("loadConfig() calls a string without its closing quote unterminated", async () => {
  await withHome(async (home) => {
    const file = join(home, "c.toml");
    for (const text of [`[record]\nquality = "best\n`, `[record]\nquality = 'best\nx = 1\n`]) {
      await Deno.writeTextFile(file, text);
      await assert.rejects(
        loadConfig({ configPath: file, env: envOf({ HOME: home }) }),
        /line 2, column \d+: unterminated string: the closing quote is missing$/,
      );
    }
  });
});

Deno.test("pathShapeProblem() accepts missing paths and refuses files and folders in the wrong place", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(join(home, "f"), "x");
    assert.equal(pathShapeProblem(join(home, "new", "deeper"), "dir"), undefined);
    assert.equal(pathShapeProblem(join(home, "new.txt"), "file"), undefined);
    assert.equal(pathShapeProblem(join(home, "f"), "file"), undefined);
    assert.equal(pathShapeProblem(join(home, "f"), "dir"), "is a file, not a folder");
    assert.equal(pathShapeProblem(home, "file"), "is a folder, not a file");
    assert.equal(
      pathShapeProblem(join(home, "f", "x", "y"), "file"),
      `cannot exist: "${join(home, "f")}" is a file, not a folder`,
    );
  });
});
