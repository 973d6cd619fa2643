/**
 * End-to-end: `--help` of every command and `status` with nothing running, compared with the
 * saved output in tests/golden/ (changing values stripped). A changed help text or status
 * layout shows up as a diff to review; `UPDATE_GOLDEN=1` accepts it.
 */
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "../src/cli/program.ts";
import { makeSandbox, runCli, type Sandbox } from "../testing/cli.ts";
import { assertGolden, stripChanging } from "../testing/golden.ts";

const URL_TEMPLATE = "hls://http://127.0.0.1:9/live/{user}/index.m3u8";

/** Every command path of the program, the root (`[]`) first. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return [
    prefix,
    ...command.commands.flatMap((sub) => commandPaths(sub as Command, [...prefix, sub.name()])),
  ];
}

async function checkOutput(sandbox: Sandbox, name: string, args: string[]) {
  const result = await runCli(sandbox, args);
  const text = `$ twitchtool ${args.join(" ")}\nexit ${result.code}\n${result.stdout}${
    result.stderr ? `--- stderr\n${result.stderr}` : ""
  }`;
  await assertGolden(name, stripChanging(text, sandbox.home));
}

Deno.test("--help of every command matches tests/golden/help*.txt", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  const paths = commandPaths(buildProgram({ exitCode: 0 }) as unknown as Command);
  for (const path of paths) {
    await checkOutput(sandbox, ["help", ...path].join("_"), [...path, "--help"]);
  }
});

Deno.test("status with nothing recording matches tests/golden/status*.txt", async () => {
  await using sandbox = await makeSandbox({ urlTemplate: URL_TEMPLATE });
  await checkOutput(sandbox, "status", ["status"]);
  await checkOutput(sandbox, "status_json", ["status", "--json"]);
});
