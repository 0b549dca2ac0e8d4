import assert from "node:assert/strict";
import {
  checkOrderTransition,
  isFinalOrderState,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  OrderStateError,
  parseOrderState,
} from "./order_state.ts";
import { UsageError } from "../errors/mod.ts";

const LEGAL: ReadonlyArray<readonly [string, string]> = [
  ["submitted", "accepted"],
  ["submitted", "rejected"],
  ["submitted", "cancelled"],
  ["accepted", "partially_filled"],
  ["accepted", "filled"],
  ["accepted", "cancelled"],
  ["partially_filled", "partially_filled"],
  ["partially_filled", "filled"],
  ["partially_filled", "cancelled"],
];

Deno.test("checkOrderTransition() allows exactly the table's transitions", () => {
  const legal = new Set(LEGAL.map(([a, b]) => `${a}>${b}`));
  for (const from of ORDER_STATES) {
    for (const to of ORDER_STATES) {
      const ok = legal.has(`${from}>${to}`);
      assert.equal(ORDER_TRANSITIONS[from].includes(to), ok, `${from} → ${to}`);
      if (ok) {
        checkOrderTransition(from, to);
      } else {
        assert.throws(() => checkOrderTransition(from, to, "order 7"), (error: unknown) => {
          assert.ok(error instanceof OrderStateError);
          assert.match(error.message, new RegExp(`order 7: ${from} → ${to}`));
          return true;
        });
      }
    }
  }
  assert.deepEqual(ORDER_STATES.filter(isFinalOrderState), ["filled", "cancelled", "rejected"]);
});

Deno.test("checkOrderTransition() explains what a state allows", () => {
  assert.throws(
    () => checkOrderTransition("filled", "cancelled"),
    /filled → cancelled \(filled allows nothing: it is final\)/,
  );
  assert.throws(
    () => checkOrderTransition("submitted", "filled"),
    /submitted → filled \(submitted allows accepted, rejected, cancelled\)/,
  );
  assert.equal(parseOrderState("accepted"), "accepted");
  assert.throws(() => parseOrderState("done"), UsageError);
});
