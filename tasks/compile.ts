/**
 * `deno task compile`: builds `dist/twitchtool` with the binary's permission set from
 * src/permissions.ts. `deno compile` downloads its base runtime (denort) on first use, so the
 * first build needs internet access to the Deno release servers (or a cached denort, see
 * DENORT_BIN in the Deno manual).
 */
import { binaryFlags } from "../src/permissions.ts";

const root = new URL("..", import.meta.url).pathname;
const args = [
  "compile",
  ...binaryFlags(),
  "--include",
  "src/cli/commands/",
  // Imported only when `web.listen` is set (src/poll/run_poller.ts).
  "--include",
  "src/web/start_status_web.ts",
  "--output",
  "dist/twitchtool",
  "src/main.ts",
];
console.log(`deno ${args.join(" ")}`);
const { code } = await new Deno.Command(Deno.execPath(), { args, cwd: root }).spawn().status;
if (code !== 0) {
  console.error(
    "deno compile failed: it needs the Deno runtime download on first use (see README, Install)",
  );
}
Deno.exit(code);
