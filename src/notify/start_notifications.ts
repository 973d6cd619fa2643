/**
 * Turns `[notify]` into the process's notifier when the running command sends notifications:
 * parses every URL (a bad one stops start-up, exit 2), requires the `apprise` command when a URL
 * needs it, and settles network access (kept only for HTTP targets, see src/permissions.ts).
 */
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { ConfigError } from "../errors.ts";
import { COMMAND_NEEDS, settleNetPermission } from "../permissions.ts";
import { runApprise } from "../proc/run_apprise.ts";
import { maskSecrets } from "../proc/streamlink_args.ts";
import { findExecutable } from "../proc/which.ts";
import { withPrivateFile } from "../state/private_temp_file.ts";
import { ensureRuntimeDir } from "../state/runtime_dir.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Notifier, type NotifierOptions } from "./notifier.ts";
import { installNotifier } from "./notify.ts";
import { type NotifyTarget, notifyUrlSecrets, parseNotifyUrl } from "./notify_url.ts";
import type { AppriseRunner } from "./send_notification.ts";

/** One HTTP attempt is abandoned after this long. */
const ATTEMPT_TIMEOUT_MS = 15_000;

/** Parses `notify.urls`; throws the first unusable one (masked). */
export function notifyTargets(config: Config): NotifyTarget[] {
  return config.notify.urls.map((url) => parseNotifyUrl(url));
}

/** Every credential in `notify.urls`, for masking in logs (those of unusable URLs too). */
export function notifySecrets(config: Config): string[] {
  return config.notify.urls.flatMap(notifyUrlSecrets);
}

/** Builds a notifier for `config` (no permission changes, nothing installed). */
export async function createNotifier(
  config: Config,
  options: { clock?: Clock; fetch?: typeof fetch; role?: NotifierOptions["role"] } = {},
): Promise<Notifier> {
  const targets = notifyTargets(config);
  const needsApprise = targets.find((target) => target.kind === "apprise");
  if (needsApprise && !(await findExecutable("apprise"))) {
    throw new ConfigError(
      `Cannot send notifications to "${needsApprise.display}" in "notify.urls": twitchtool only sends ntfy://, ntfys://, discord://, json:// and jsons:// itself, and the apprise command for the rest is not installed (apt-get install apprise)`,
    );
  }
  const secrets = targets.flatMap((target) => [...target.secrets]);
  const apprise: AppriseRunner = async (url, message) => {
    await ensureRuntimeDir(config.paths.runtimeDir);
    await withPrivateFile(
      join(config.paths.runtimeDir, "notify"),
      ".conf",
      `${url}\n`,
      (file) => runApprise(file, message, (text) => maskSecrets(text, secrets)),
    );
  };
  return new Notifier({
    targets,
    events: config.notify.events,
    giveUpAfterMs: config.notify.giveUpAfter * 1000,
    clock: options.clock ?? systemClock,
    send: { fetch: options.fetch ?? fetch, apprise, timeoutMs: ATTEMPT_TIMEOUT_MS },
    stateDir: config.paths.stateDir,
    role: options.role ?? "write",
  });
}

/**
 * Installs the notifier of `command` (when it notifies and URLs are configured), then drops
 * network access unless needed. `command` is undefined when a command runs in-process without
 * dispatch (tests): nothing is revoked then.
 */
export async function startNotifications(
  config: Config,
  command: string | undefined,
): Promise<void> {
  const notifies = command === undefined || COMMAND_NEEDS[command]?.notify === true;
  if (!notifies || config.notify.urls.length === 0) {
    await settleNetPermission(command, false, config.chat.enabled);
    return;
  }
  // The poller, the long-running process with the network, delivers the outbox.
  const notifier = await createNotifier(config, {
    role: command === "poller run" ? "deliver" : "write",
  });
  await settleNetPermission(command, notifier.sendsOverHttp, config.chat.enabled);
  installNotifier(notifier);
}
