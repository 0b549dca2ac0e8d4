import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { IdCounter } from "./id_counter.ts";

Deno.test("IdCounter.next() hands out consecutive ids per counter object", () => {
  const a = new IdCounter();
  const b = new IdCounter(100);
  assert.deepEqual([a.next(), a.next(), b.next(), a.peek(), b.next()], [0, 1, 100, 2, 101]);
  assert.equal(new IdCounter().next(), 0, "a new counter does not share state (no statics)");
  assert.throws(() => new IdCounter(-1), UsageError);
  assert.throws(() => new IdCounter(1.5), UsageError);
});
