/**
 * A fake `apprise` for PATH (a shell script): each run appends its arguments, the content of
 * the config file given with `-c` and its stdin (three lines), so tests see exactly what reached
 * the program.
 */
import { join } from "node:path";

/** The fake's folder (put it first on PATH) and what it saw so far. */
export interface FakeApprise {
  readonly binDir: string;
  /** One entry per run: its arguments joined by spaces, the `-c` file's text, its stdin. */
  calls(): Promise<{ args: string; config: string; body: string }[]>;
}

/** Installs the fake in `dir`. */
export async function installFakeApprise(dir: string): Promise<FakeApprise> {
  const binDir = join(dir, "fake-bin");
  await Deno.mkdir(binDir, { recursive: true });
  const log = join(dir, "apprise-calls.jsonl");
  const script = `#!/bin/sh
cfg=""
prev=""
for a in "$@"; do
  [ "$prev" = "-c" ] && cfg="$a"
  prev="$a"
done
{
  printf 'ARGS'
  for a in "$@"; do printf ' %s' "$a"; done
  printf '\\nCONFIG %s\\nBODY %s\\n' "$(cat "$cfg")" "$(cat)"
} >> '${log}'
`;
  await Deno.writeTextFile(join(binDir, "apprise"), script, { mode: 0o755 });
  return {
    binDir,
    calls: async () => {
      const lines = (await Deno.readTextFile(log).catch(() => "")).split("\n");
      const calls = [];
      for (let i = 0; i + 2 < lines.length; i += 3) {
        calls.push({
          args: lines[i]!.replace(/^ARGS ?/, ""),
          config: lines[i + 1]!.replace(/^CONFIG /, ""),
          body: lines[i + 2]!.replace(/^BODY /, ""),
        });
      }
      return calls;
    },
  };
}
