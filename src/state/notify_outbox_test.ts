import assert from "node:assert/strict";
import { join } from "node:path";
import {
  claimOutboxEntry,
  listOutbox,
  outboxDir,
  readOutboxView,
  recoverOutboxClaims,
  releaseOutboxEntry,
  writeOutboxRecord,
} from "./notify_outbox.ts";

const record = {
  target: "abc",
  created_at: "2026-01-01T10:00:00.000Z",
  event: { event: "encode_failed", input: "/r/a.mp4", reason: "x" },
};

Deno.test("claimOutboxEntry: a live claim is never recovered or claimed twice; a dead one goes back", async () => {
  const stateDir = await Deno.makeTempDir();
  try {
    const name = await writeOutboxRecord(stateDir, record);
    const claim = await claimOutboxEntry(stateDir, name);
    assert.deepEqual(claim?.record, record);
    assert.equal(await claimOutboxEntry(stateDir, name), undefined, "claimed once");
    assert.equal(await recoverOutboxClaims(stateDir), 0, "its claimer holds the lock");
    assert.equal((await readOutboxView(stateDir)).waiting, 1);
    await releaseOutboxEntry(claim!);
    assert.deepEqual(await listOutbox(stateDir), [name]);
    // A claimer killed mid-send leaves its entry in claimed/ with no lock held.
    await Deno.rename(
      join(outboxDir(stateDir), "new", name),
      join(outboxDir(stateDir), "claimed", name),
    );
    assert.deepEqual(await listOutbox(stateDir), []);
    assert.equal(await recoverOutboxClaims(stateDir), 1);
    assert.deepEqual(await listOutbox(stateDir), [name]);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
