import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import {
  addUsers,
  editUsersFile,
  parseUsersFile,
  readUsersBytes,
  readUsersFile,
  removeUsers,
  UsersFileError,
} from "./users_file.ts";

const SAMPLE = `# channels I watch
Alpha   # the main one

beta
not-a-name!
ALPHA
  gamma_3
`;

Deno.test("parseUsersFile() skips comments and blanks, lower-cases and de-duplicates names", () => {
  const list = parseUsersFile(SAMPLE);
  assert.deepEqual(list.users, ["alpha", "beta", "gamma_3"]);
  assert.deepEqual(list.invalid, [{ line: 5, text: "not-a-name!" }]);
});

Deno.test("addUsers() appends only new names and keeps every existing line", () => {
  const result = addUsers(SAMPLE, ["beta", "Delta", "delta", "alpha"]);
  assert.deepEqual(result.added, ["delta"]);
  assert.deepEqual(result.present, ["beta", "delta", "alpha"]);
  assert.equal(result.text, SAMPLE + "delta\n");
});

Deno.test("addUsers() adds a missing final newline before appending", () => {
  assert.equal(addUsers("# x\nalpha", ["beta"]).text, "# x\nalpha\nbeta\n");
  assert.equal(addUsers("", ["beta"]).text, "beta\n");
});

Deno.test("addUsers() rejects the whole request when one name is invalid", () => {
  assert.throws(
    () => addUsers(SAMPLE, ["good_name", "bad name"]),
    (error: unknown) =>
      error instanceof UsageError && error.message.includes('"bad name"') &&
      error.message.includes("nothing changed"),
  );
});

Deno.test("removeUsers() drops matching lines in any case and keeps comments and order", () => {
  const result = removeUsers(SAMPLE, ["alpha", "Zeta"]);
  assert.deepEqual(result.removed, ["alpha"]);
  assert.deepEqual(result.missing, ["Zeta"]);
  assert.equal(result.text, "# channels I watch\n\nbeta\nnot-a-name!\n  gamma_3\n");
});

Deno.test("removeUsers() can remove an invalid entry by its text", () => {
  const result = removeUsers(SAMPLE, ["not-a-name!"]);
  assert.deepEqual(result.removed, ["not-a-name!"]);
  assert.ok(!result.text.includes("not-a-name!"));
});

Deno.test("editUsersFile() writes atomically, keeps the mode and does not create on a no-op", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "users.txt");
    await editUsersFile(path, (text) => removeUsers(text, ["alpha"]));
    assert.equal(await readUsersFile(path), undefined);
    await editUsersFile(path, (text) => addUsers(text, ["alpha"]));
    assert.equal(await Deno.readTextFile(path), "alpha\n");
    await Deno.chmod(path, 0o600);
    await editUsersFile(path, (text) => addUsers(text, ["beta"]));
    assert.equal(await Deno.readTextFile(path), "alpha\nbeta\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name),
      ["users.txt"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseUsersFile() trims only ASCII whitespace, so a no-break space is not dropped", () => {
  assert.deepEqual(parseUsersFile("alpha\u00a0\n\tbeta \r\n").users, ["beta"]);
  assert.deepEqual(parseUsersFile("alpha\u00a0\n").invalid, [{ line: 1, text: "alpha\u00a0" }]);
});

Deno.test("readUsersBytes() refuses a FIFO at once instead of blocking on it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "users.txt");
    const mkfifo = await new Deno.Command("mkfifo", { args: [path] }).output();
    assert.equal(mkfifo.code, 0);
    await assert.rejects(
      () => readUsersBytes(path),
      (error: Error) =>
        error instanceof UsersFileError && error.message ===
          `Cannot read users file "${path}": it is a FIFO, not a regular file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readUsersBytes() refuses a link to /dev/zero and a file over the size limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const zero = join(dir, "zero.txt");
    await Deno.symlink("/dev/zero", zero);
    await assert.rejects(() => readUsersBytes(zero), /not a regular file \(a device or socket\)/);
    const big = join(dir, "big.txt");
    await Deno.writeTextFile(big, "alpha\n".repeat(200_000));
    await assert.rejects(
      () => readUsersFile(big),
      new RegExp(`"${big}": it is larger than the 1 MiB limit for a users file`),
    );
    await Deno.writeTextFile(big, "alpha\n".repeat(100));
    assert.deepEqual((await readUsersFile(big))?.users, ["alpha"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
