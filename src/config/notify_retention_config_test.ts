import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { GIB } from "./config.ts";
import { loadConfigText } from "../../testing/config_text.ts";
import { NOTIFY_EVENTS } from "./schema.ts";

Deno.test("loadConfig() leaves notifications and retention off by default", async () => {
  const { config } = await loadConfigText("");
  assert.deepEqual(config.notify, { urls: [], events: [...NOTIFY_EVENTS], giveUpAfter: 300 });
  assert.deepEqual(config.retention, {
    minFreeBytes: undefined,
    maxAgeDays: undefined,
    keepPerChannel: undefined,
    deleteUnuploaded: false,
  });
});

Deno.test("loadConfig() reads [notify] and [retention]; min_free_bytes wins over min_free_gb", async () => {
  const { config } = await loadConfigText(
    `[notify]\nurls = ["ntfy://t"]\nevents = ["disk_low"]\ngive_up_after = 30\n` +
      `[retention]\nmin_free_gb = 2\nmax_age_days = 7\nkeep_per_channel = 3\n`,
  );
  assert.deepEqual(config.notify, { urls: ["ntfy://t"], events: ["disk_low"], giveUpAfter: 30 });
  assert.deepEqual(config.retention, {
    minFreeBytes: 2 * GIB,
    maxAgeDays: 7,
    keepPerChannel: 3,
    deleteUnuploaded: false,
  });
  const bytes = await loadConfigText(`[retention]\nmin_free_gb = 2\nmin_free_bytes = 1000\n`);
  assert.equal(bytes.config.retention.minFreeBytes, 1000);
});

Deno.test("loadConfig() refuses an unknown event name and keep_per_channel = 0", async () => {
  await assert.rejects(
    () => loadConfigText(`[notify]\nevents = ["disk_low", "coffee_ready"]\n`),
    (error: Error) => error instanceof ConfigError && /coffee_ready/.test(error.message),
  );
  await assert.rejects(() => loadConfigText(`[retention]\nkeep_per_channel = 0\n`), ConfigError);
});
