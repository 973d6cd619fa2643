/** Config loading for unit tests: a config file's text read as `--config` in a throwaway HOME. */
import { join } from "node:path";
import { loadConfig } from "../src/config/load_config.ts";

/** `loadConfig()` of `toml` as the config file, HOME a fresh temporary folder (removed after). */
export async function loadConfigText(toml: string): ReturnType<typeof loadConfig> {
  const home = await Deno.makeTempDir();
  try {
    const path = join(home, "config.toml");
    await Deno.writeTextFile(path, toml);
    return await loadConfig({
      configPath: path,
      env: (name) => (name === "HOME" ? home : undefined),
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
