/**
 * `deno task install`: puts the compiled binary (`deno task compile` → `dist/twitchtool`) in
 * `~/.local/bin` and the systemd user units in `~/.config/systemd/user`, then says what to
 * run next. It does not call systemctl itself: the task has no run permission, and enabling
 * services is the operator's decision.
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where install reads from and writes to. */
export interface InstallPaths {
  /** The compiled binary. */
  readonly binary: string;
  /** Unit files to install. */
  readonly units: readonly string[];
  /** `~/.local/bin`. */
  readonly binDir: string;
  /** `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`). */
  readonly unitDir: string;
}

/** The repository's files and the current user's install locations. */
export function defaultInstallPaths(env: (name: string) => string | undefined): InstallPaths {
  const repo = fileURLToPath(new URL("..", import.meta.url));
  const home = env("HOME");
  if (!home) throw new Error("Cannot install: HOME is not set");
  const configHome = env("XDG_CONFIG_HOME") || join(home, ".config");
  return {
    binary: join(repo, "dist", "twitchtool"),
    units: [
      join(repo, "systemd", "twitch-poller.service"),
      join(repo, "systemd", "twitch-encoderd.service"),
    ],
    binDir: join(home, ".local", "bin"),
    unitDir: join(configHome, "systemd", "user"),
  };
}

/**
 * Copies the binary and the units; returns the installed paths. Each file is written next to
 * its destination and renamed over it, so a running poller keeps its old binary (no "text file
 * busy") and nobody sees a half-copied file.
 */
export async function install(paths: InstallPaths): Promise<string[]> {
  try {
    await Deno.stat(paths.binary);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot install "${paths.binary}": it does not exist, run deno task compile first`,
      );
    }
    throw error;
  }
  const installed: string[] = [];
  await Deno.mkdir(paths.binDir, { recursive: true });
  installed.push(await copyReplacing(paths.binary, join(paths.binDir, "twitchtool"), 0o755));
  await Deno.mkdir(paths.unitDir, { recursive: true });
  for (const unit of paths.units) {
    installed.push(await copyReplacing(unit, join(paths.unitDir, basename(unit)), 0o644));
  }
  return installed;
}

async function copyReplacing(source: string, target: string, mode: number): Promise<string> {
  const temp = `${target}.install-${Deno.pid}`;
  try {
    await Deno.copyFile(source, temp);
    await Deno.chmod(temp, mode);
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  return target;
}

if (import.meta.main) {
  try {
    const installed = await install(defaultInstallPaths((name) => Deno.env.get(name)));
    console.log("Installed:");
    for (const path of installed) console.log(`  ${path}`);
    console.log(`
Next steps:
  systemctl --user daemon-reload
  systemctl --user enable --now twitch-poller.service twitch-encoderd.service
  loginctl enable-linger "$USER"    # keep them running while you are logged out
Already running? Restart them to use the new binary:
  systemctl --user restart twitch-poller.service twitch-encoderd.service
(Restarting the poller does not interrupt recordings in progress.)`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exitCode = 1;
  }
}
