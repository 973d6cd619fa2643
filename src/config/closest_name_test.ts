import assert from "node:assert/strict";
import { closestName, editDistance } from "./closest_name.ts";

const names = (...list: string[]) => list.map((name) => ({ match: name, name }));

Deno.test("closestName() suggests a near miss and nothing for a stranger", () => {
  assert.equal(editDistance("record_dirr", "record_dir"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(closestName("stauts", names("status", "stop", "record")), "status");
  assert.equal(closestName("qualty", names("quality", "loglevel")), "quality");
  assert.equal(closestName("sideways", names("run", "stop", "status")), undefined);
  assert.equal(closestName("x", []), undefined);
});
