/** A real full filesystem for disk tests: a small tmpfs (needs root with CAP_SYS_ADMIN). */

/** Whether this machine lets us mount a tmpfs. */
export async function canMountTmpfs(): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => ({ code: 1 }));
    if (mount.code !== 0) return false;
    await new Deno.Command("umount", { args: [dir] }).output();
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Mounts a tmpfs of `size` (e.g. `"3m"`) on `dir` (created if missing); returns its unmounter. */
export async function mountTmpfs(
  dir: string,
  size: string,
): Promise<{ resize(size: string): Promise<void>; [Symbol.asyncDispose](): Promise<void> }> {
  await Deno.mkdir(dir, { recursive: true });
  await run(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return {
    resize: (next) => run(["mount", "-o", `remount,size=${next}`, dir]),
    [Symbol.asyncDispose]: async () => {
      await new Deno.Command("umount", { args: ["-l", dir] }).output();
    },
  };
}

async function run([command, ...args]: string[]): Promise<void> {
  const output = await new Deno.Command(command!, { args, stdout: "null", stderr: "piped" })
    .output();
  if (output.code !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}
