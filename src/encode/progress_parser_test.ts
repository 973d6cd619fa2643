import assert from "node:assert/strict";
import { ProgressParser } from "./progress_parser.ts";

const block = (outTimeUs: string, speed: string, progress = "continue") => [
  "frame=90",
  "fps=30.0",
  `out_time_us=${outTimeUs}`,
  `out_time_ms=${outTimeUs}`,
  "out_time=00:00:03.000000",
  `speed=${speed}`,
  `progress=${progress}`,
];

function feed(parser: ProgressParser, lines: string[]) {
  return lines.map((line) => parser.push(line)).filter((s) => s !== undefined);
}

Deno.test("ProgressParser yields one snapshot per block with percent, speed and ETA", () => {
  const parser = new ProgressParser(10);
  const snapshots = feed(parser, block("2500000", "2.5x"));
  assert.equal(snapshots.length, 1);
  assert.deepEqual(snapshots[0], {
    outSeconds: 2.5,
    percent: 25,
    speed: 2.5,
    etaSeconds: 3,
    done: false,
  });
});

Deno.test("ProgressParser reports 100% and ETA 0 on progress=end", () => {
  const parser = new ProgressParser(10);
  const [last] = feed(parser, block("9980000", "3x", "end"));
  assert.equal(last?.percent, 100);
  assert.equal(last?.etaSeconds, 0);
  assert.equal(last?.done, true);
});

Deno.test("ProgressParser copes with N/A values and an unknown duration", () => {
  const parser = new ProgressParser(null);
  const [first] = feed(parser, [
    "out_time_us=N/A",
    "out_time=N/A",
    "speed=N/A",
    "progress=continue",
  ]);
  assert.deepEqual(first, {
    outSeconds: 0,
    percent: null,
    speed: null,
    etaSeconds: null,
    done: false,
  });
  const withClock = new ProgressParser(100);
  const [second] = feed(withClock, ["out_time=00:01:00.500000", "speed= 1x", "progress=continue"]);
  assert.equal(second?.outSeconds, 60.5);
  assert.equal(second?.etaSeconds, 39.5);
});

Deno.test("ProgressParser never reports more than 100% before the end", () => {
  const parser = new ProgressParser(1);
  const [snapshot] = feed(parser, block("5000000", "1x"));
  assert.equal(snapshot?.percent, 100);
  assert.equal(snapshot?.etaSeconds, 0);
});
