/**
 * Runs the `apprise` command for one notification. The target URL (which holds the service's
 * credentials) is never on the command line, where `ps` shows it to every user: it is in a
 * private Apprise config file (`-c`), and the body goes in on stdin.
 */
import { runWithInput } from "./spawn.ts";

/** The message fields apprise takes. */
export interface AppriseMessage {
  readonly title: string;
  readonly body: string;
  readonly type: "info" | "success" | "warning" | "failure";
}

/** `apprise` argv: no URL, no body (both are secret or large). Pure, for tests. */
export function appriseArgs(configFile: string, message: AppriseMessage): string[] {
  return ["-c", configFile, "-t", message.title, "-n", message.type];
}

/** Runs apprise with `configFile`; throws with its last output line when it fails. */
export async function runApprise(
  configFile: string,
  message: AppriseMessage,
  mask: (text: string) => string,
): Promise<void> {
  const result = await runWithInput("apprise", appriseArgs(configFile, message), async (stdin) => {
    await stdin.write(new TextEncoder().encode(message.body));
  });
  if (result.code !== 0) {
    const last = (result.stderr.trim() || result.stdout.trim()).split("\n").at(-1) ?? "";
    throw new Error(mask(`apprise exited with code ${result.code}${last ? `: ${last}` : ""}`));
  }
}
