import assert from "node:assert/strict";
import { ChannelRenames } from "./channel_renames.ts";
import { currentLogin, readChannelIds } from "../state/channel_ids.ts";

Deno.test("ChannelRenames follows an unknown login to the login its user ID answers to, and keeps it", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const renames = await ChannelRenames.load(stateDir);
    await renames.learn(new Map([["alice", "11"], ["bob", "22"]]));
    const asked: string[][] = [];
    const loginsOf = (ids: readonly string[]) => {
      asked.push([...ids]);
      return Promise.resolve(new Map([["11", "alice_new"], ["22", "bob"]]));
    };
    // "carol" has no known ID: nothing to ask about her.
    const found = await renames.follow(["alice", "carol"], loginsOf, new Date(0));
    assert.deepEqual(asked, [["11"]]);
    assert.deepEqual(found, [{
      from: "alice",
      to: "alice_new",
      id: "11",
      at: "1970-01-01T00:00:00.000Z",
    }]);
    assert.deepEqual(renames.current(["Alice", "bob"]), ["alice_new", "bob"]);

    const again = await ChannelRenames.load(stateDir);
    assert.deepEqual(again.current(["alice"]), ["alice_new"]);
    const saved = await readChannelIds(stateDir);
    assert.deepEqual(saved.ids, { bob: "22", alice_new: "11" });
    assert.equal(
      currentLogin([...saved.renames, { ...found[0]!, from: "alice_new", to: "al3" }], "alice"),
      "al3",
    );
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
