import assert from "node:assert/strict";
import { columnWidths, ELLIPSIS, fitCell, fitsWhole, shorten } from "./table_layout.ts";

Deno.test("columnWidths() keeps natural widths when they fit, or when there is no limit", () => {
  const head = ["user", "path"];
  const rows = [["alice", "/a/very/long/path/to/alice_2026-05-01_10-00-00.mp4"]];
  assert.deepEqual(columnWidths(head, rows, 200), [5, 50]);
  assert.deepEqual(columnWidths(head, rows, Infinity), [5, 50]);
});

Deno.test("columnWidths() wraps text between words before shortening anything", () => {
  const head = ["started", "user", "encoded"];
  const rows = [["2026-05-01 10:00", "archivist_one_long_name", "yes, original deleted"]];
  const widths = columnWidths(head, rows, 60);
  assert.equal(widths[1], "archivist_one_long_name".length, "the name stays whole");
  assert.ok(widths[2]! >= "original".length && widths[2]! < 21, `encoded ${widths[2]}`);
  assert.ok(widths.reduce((sum, width) => sum + width + 3, 1) <= 60);
});

Deno.test("columnWidths() never cuts a header, even when the table cannot fit", () => {
  const head = ["slot", "user", "captured", "live since"];
  const rows = [["1", "a_very_long_channel_name", "1.5 GiB", "14:03 (+12s)"]];
  const widths = columnWidths(head, rows, 20);
  head.forEach((title, column) => assert.ok(widths[column]! >= title.length, title));
});

Deno.test("fitCell() shortens a path in the middle, wraps words, and ends a long word in an ellipsis", () => {
  const path = "/srv/recordings/TwitchTool/archivist_one_2026-07-14_07-14-37.mp4";
  const short = fitCell(path, 30);
  assert.equal(short.length, 30);
  assert.ok(short.startsWith("/srv/rec"), short);
  assert.ok(short.endsWith("07-14-37.mp4"), short);
  assert.equal([...short].filter((c) => c === ELLIPSIS).length, 1);
  assert.equal(fitCell("yes, original deleted", 10), "yes,\noriginal\ndeleted");
  assert.equal(fitCell("archivist_one", 8), `archivi${ELLIPSIS}`);
  assert.equal(fitCell("a\nb c d", 3), "a\nb c\nd", "lines of a cell are fitted one by one");
  assert.equal(shorten("short", 10), "short");
});

Deno.test("fitsWhole() counts wrapping between words as whole and any shortening as not", () => {
  const head = ["user", "encoded", "file"];
  const rows = [["alice", "yes, original deleted", "alice_2026-05-01_10-00-00_compressed.mp4"]];
  // Borders and padding: 1 + 3 a column; "original" is the narrowest "encoded" goes whole.
  const whole = 1 + (5 + 3) + ("original".length + 3) + (rows[0]![2]!.length + 3);
  assert.equal(fitsWhole(head, rows, whole), true);
  assert.equal(fitsWhole(head, rows, whole - 1), false);
  assert.equal(fitsWhole(head, rows, Infinity), true);
});
