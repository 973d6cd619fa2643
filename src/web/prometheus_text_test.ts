import assert from "node:assert/strict";
import { samplePage } from "../../testing/page_fixture.ts";
import { parsePrometheusText } from "../../testing/prometheus.ts";
import { escapeLabelValue, renderMetrics } from "./prometheus_text.ts";

Deno.test("renderMetrics() writes strict Prometheus text with HELP/TYPE, _total counters and escaped labels", () => {
  const families = parsePrometheusText(renderMetrics(samplePage()));
  const value = (name: string, labels: Record<string, string> = {}) =>
    families.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))
      ?.value;
  assert.equal(value("twitchtool_recordings_active"), 2);
  assert.equal(value("twitchtool_recording_bytes", { user: "alpha" }), 1000);
  assert.equal(value("twitchtool_recording_bytes", { user: 'we"ird\\na\nme' }), 5);
  assert.equal(value("twitchtool_channel_live", { user: "alpha" }), 1);
  assert.equal(value("twitchtool_channel_live", { user: "beta" }), 0);
  assert.equal(value("twitchtool_encode_progress_ratio"), 0.425);
  assert.equal(value("twitchtool_poll_duration_seconds"), 0.25);
  assert.equal(value("twitchtool_poll_cycles_total"), 7);
  assert.equal(value("twitchtool_disk_free_bytes"), 123456789);
  assert.equal(value("twitchtool_recordings_finished_total"), 2);
  assert.equal(value("twitchtool_recordings_failed_total"), 1);
  assert.equal(value("twitchtool_recorded_bytes_total"), 4096);
  assert.equal(value("twitchtool_upload_pending_files"), 2);
  assert.equal(value("twitchtool_upload_pending_bytes"), 3_000_000_000);
  assert.equal(value("twitchtool_uploads_failed_total"), 1);
  for (const family of families.values()) {
    assert.equal(family.type === "counter", family.name.endsWith("_total"), family.name);
  }
});

Deno.test("escapeLabelValue() escapes backslash, quote and newline only", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd é'), 'a\\\\b\\"c\\nd é');
});

Deno.test("the strict parser rejects what Prometheus rejects", () => {
  const bad = [
    "# TYPE x gauge\nx 1\n", // no HELP
    "# HELP x h\n# TYPE x counter\nx 1\n", // counter without _total
    '# HELP x h\n# TYPE x gauge\nx{u="a\\tb"} 1\n', // bad escape
    "# HELP x h\n# TYPE x gauge\nx one\n", // not a number
    "# HELP x h\n# TYPE x gauge\nx 1", // no final newline
  ];
  for (const text of bad) assert.throws(() => parsePrometheusText(text), Error, text);
});
