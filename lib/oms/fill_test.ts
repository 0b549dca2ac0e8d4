import assert from "node:assert/strict";
import { DataError, UsageError } from "../errors/mod.ts";
import { Fill } from "./fill.ts";
import { IdCounter } from "./id_counter.ts";
import { _random } from "./_test_bars.ts";

const T = Date.UTC(2025, 0, 6, 0, 10);

Deno.test("Fill.toString() round-trips exactly through Fill.fromString", () => {
  const rand = _random(7);
  const ids = new IdCounter();
  for (let i = 0; i < 1000; i++) {
    const fill = Fill.create(ids, {
      orderId: Math.floor(rand() * 1e6),
      assetId: Math.floor(rand() * 1e10),
      timestamp: T + Math.floor(rand() * 1e9),
      shares: (rand() - 0.5) * 10 ** Math.floor(rand() * 10 - 5) || 1,
      price: rand() * 1e5 + 1e-8,
      fee: rand() < 0.1 ? -rand() : rand() * 3,
    });
    const back = Fill.fromString(fill.toString());
    assert.deepEqual(back.toFields(), fill.toFields());
    assert.equal(back.toString(), fill.toString());
  }
  assert.equal(
    new Fill({
      id: 0,
      orderId: 3,
      assetId: 1467591036,
      timestamp: T,
      shares: -0.5,
      price: 98765.4,
      fee: 0.1,
    }).toString(),
    "Fill: fill_id=0 order_id=3 asset_id=1467591036 timestamp=2025-01-06T00:10:00.000Z " +
      "num_shares=-0.5 price=98765.4 fee=0.1",
  );
});

Deno.test("Fill validates its fields; fromString refuses malformed text", () => {
  const ok = { id: 1, orderId: 2, assetId: 3, timestamp: T, shares: 1, price: 2, fee: 0 };
  assert.throws(() => new Fill({ ...ok, shares: 0 }), UsageError);
  assert.throws(() => new Fill({ ...ok, price: 0 }), UsageError);
  assert.throws(() => new Fill({ ...ok, fee: NaN }), UsageError);
  assert.throws(() => new Fill({ ...ok, orderId: -2 }), UsageError);
  const text = new Fill(ok).toString();
  assert.throws(() => Fill.fromString(text.replace("price=2", "price=abc")), DataError);
  assert.throws(() => Fill.fromString(text.replace("price=2", "price=0")), DataError);
  assert.throws(() => Fill.fromString(text.replace("Fill:", "Order:")), DataError);
});
