import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfigText } from "../../testing/config_text.ts";
import { listPendingUploads } from "../state/upload_queue.ts";
import { afterEncode } from "./after_encode.ts";

Deno.test("afterEncode() queues an encode's output, but not for a channel with upload = false", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { config } = await loadConfigText(
      `[paths]\nqueue_dir = "${dir}"\n\n[upload]\nremote = "r:"\n\n` +
        `[channel.bob]\nupload = false\n`,
    );
    const encode = async (user: string) => {
      const input = join(dir, `${user}_2026-12-07_10-00-00.mp4`);
      const output = join(dir, `${user}_2026-12-07_10-00-00_compressed.mp4`);
      await Deno.writeFile(output, new Uint8Array(100));
      await afterEncode(config, input, output);
    };
    await encode("alice");
    await encode("bob");
    const queued = await listPendingUploads(dir);
    assert.deepEqual(queued.map((item) => item.dest), [
      "alice/alice_2026-12-07_10-00-00_compressed.mp4",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
