import assert from "node:assert/strict";
import { tomlKeyLines } from "./toml_lines.ts";

Deno.test("tomlKeyLines() places sections, their keys, dotted and quoted keys", () => {
  const lines = tomlKeyLines(
    `# comment\ntop = 1\n\n[paths]\nrecord_dir = "/x"\n  "queue_dir" = "/q"\n[ record ]\nquality="best"\npoller.interval = 5\n`,
  );
  assert.equal(lines.get("top"), 2);
  assert.equal(lines.get("paths"), 4);
  assert.equal(lines.get("paths.record_dir"), 5);
  assert.equal(lines.get("paths.queue_dir"), 6);
  assert.equal(lines.get("record"), 7);
  assert.equal(lines.get("record.quality"), 8);
  assert.equal(lines.get("record.poller.interval"), 9);
  assert.equal(lines.get("limits"), undefined);
});
