/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests: every sample
 * must belong to a family announced by `# HELP` and `# TYPE` lines before it, names must be
 * valid metric and label names, label values must use only the three escapes the format
 * allows, counters must end in `_total`, and values must be numbers.
 */

/** One sample line. */
export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** One metric family. */
export interface PromFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

/** Parses `text`; throws on the first line that breaks the format. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const help = new Map<string, string>();
  if (!text.endsWith("\n")) throw new Error("The text does not end with a newline");
  text.slice(0, -1).split("\n").forEach((line, index) => {
    const fail = (why: string) => {
      throw new Error(`Line ${index + 1} ${JSON.stringify(line)}: ${why}`);
    };
    if (line.startsWith("# HELP ")) {
      const [, name, doc] = /^# HELP (\S+) (.*)$/.exec(line) ?? fail("bad HELP");
      if (!NAME.test(name!)) fail("bad metric name");
      if (help.has(name!)) fail("second HELP");
      help.set(name!, doc!);
    } else if (line.startsWith("# TYPE ")) {
      const [, name, type] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? fail("bad TYPE");
      if (!TYPES.includes(type!)) fail("unknown type");
      if (families.has(name!)) fail("second TYPE");
      if (!help.has(name!)) fail("TYPE without HELP before it");
      if (type === "counter" && !name!.endsWith("_total")) fail("counter not named _total");
      families.set(name!, { name: name!, type: type!, help: help.get(name!)!, samples: [] });
    } else if (line.startsWith("#") || line === "") {
      fail("unexpected comment or blank line");
    } else {
      const sample = parseSample(line, fail);
      const family = families.get(sample.name) ?? fail("sample before its TYPE");
      if ([...families.keys()].at(-1) !== sample.name) fail("sample outside its family's block");
      family.samples.push(sample);
    }
  });
  return families;
}

function parseSample(line: string, fail: (why: string) => never): PromSample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? fail("no metric name");
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = /^([^=]*)="/.exec(rest) ?? fail("bad label");
      if (!LABEL.test(label[1]!)) fail(`bad label name ${label[1]}`);
      rest = rest.slice(label[0].length);
      let value = "";
      for (;;) {
        const c = rest[0] ?? fail("unterminated label value");
        rest = rest.slice(1);
        if (c === '"') break;
        if (c === "\n") fail("raw newline in label value");
        if (c === "\\") {
          const e = rest[0];
          rest = rest.slice(1);
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else fail(`bad escape \\${e}`);
        } else value += c;
      }
      if (label[1]! in labels) fail("repeated label");
      labels[label[1]!] = value;
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) fail("expected , or }");
    }
    rest = rest.slice(1);
  }
  const value = /^ (\S+)$/.exec(rest)?.[1] ?? fail("bad value part");
  const number = value === "+Inf" ? Infinity : value === "-Inf" ? -Infinity : Number(value);
  if (value !== "NaN" && Number.isNaN(number)) fail("value is not a number");
  return { name, labels, value: number };
}
