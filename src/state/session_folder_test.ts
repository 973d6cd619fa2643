import assert from "node:assert/strict";
import { join } from "node:path";
import { capturedBytes, parseSessionBase, userOfBase } from "./session_folder.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const write = (dir: string, name: string, bytes: number) =>
  Deno.writeFile(join(dir, name), new Uint8Array(bytes));

Deno.test("capturedBytes() sums the parts of the session whose manifest names the recorder", async () => {
  await withDir(async (dir) => {
    await write(dir, "alpha_2024-05-01_10-00-00_part01.ts", 100);
    await write(dir, "alpha_2024-05-01_10-00-00_part02.ts", 50);
    await write(dir, "alpha_2024-05-02_09-00-00_part01.ts", 7);
    await write(dir, "alphabet_2024-05-01_10-00-00_part01.ts", 1000);
    await Deno.writeTextFile(
      join(dir, "alpha_2024-05-01_10-00-00.session.json"),
      JSON.stringify({ user: "alpha", pid: 42, base: "alpha_2024-05-01_10-00-00" }),
    );
    assert.equal(await capturedBytes(dir, "alpha", 42), 150);
  });
});

Deno.test("capturedBytes() falls back to the newest session, and is 0 without parts or folder", async () => {
  await withDir(async (dir) => {
    await write(dir, "alpha_2024-05-01_10-00-00_part01.ts", 100);
    await write(dir, "alpha_2024-05-02_09-00-00_part01.ts", 7);
    await write(dir, "alpha_2024-05-02_09-00-00_part02.ts", 3);
    assert.equal(await capturedBytes(dir, "alpha", 42), 10);
    assert.equal(await capturedBytes(dir, "beta", 42), 0);
    assert.equal(await capturedBytes(join(dir, "missing"), "alpha", 42), 0);
  });
});

Deno.test("userOfBase() and parseSessionBase() accept only Twitch names (3-25 letters, digits, _)", () => {
  assert.equal(userOfBase("Some_User_2024-05-01_10-00-00"), "some_user");
  assert.deepEqual(parseSessionBase("Some_User_2024-05-01_10-00-00"), {
    user: "Some_User",
    startedAt: new Date(2024, 4, 1, 10, 0, 0),
  });
  for (const stem of ["ab_2024-05-01_10-00-00", `${"a".repeat(26)}_2024-05-01_10-00-00`]) {
    assert.equal(userOfBase(stem), undefined, stem);
    assert.equal(parseSessionBase(stem), undefined, stem);
  }
});
