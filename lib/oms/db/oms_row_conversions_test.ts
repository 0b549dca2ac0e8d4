import assert from "node:assert/strict";
import { DataError } from "../../errors/mod.ts";
import { Fill } from "../fill.ts";
import { IdCounter } from "../id_counter.ts";
import { Order } from "../order.ts";
import {
  fillFromRow,
  fillToRow,
  ordersFromText,
  ordersToText,
  orderToRow,
} from "./oms_row_conversions.ts";

const T = Date.UTC(2025, 0, 6, 0, 5);

Deno.test("ordersToText() / ordersFromText() round-trip a batch", () => {
  const ids = new IdCounter(3);
  const orders = [
    Order.create(ids, {
      creationTimestamp: T,
      assetId: 8968126878,
      type: "next_open",
      startTimestamp: T,
      endTimestamp: T + 300_000,
      currentShares: 1 / 3,
      diffShares: -(0.1 + 0.2),
    }),
    Order.create(ids, {
      creationTimestamp: T,
      assetId: 1,
      type: "limit",
      startTimestamp: T,
      endTimestamp: T + 300_000,
      currentShares: 0,
      diffShares: 5e-324,
      limitPrice: 1.5,
      extraParams: { note: "a b\nc" },
    }),
  ];
  const text = ordersToText(orders);
  assert.equal(text.split("\n").length, 2);
  const back = ordersFromText(`\n${text}\n\n`);
  assert.deepEqual(back.map((o) => o.toFields()), orders.map((o) => o.toFields()));
  assert.deepEqual(ordersFromText(""), []);
  assert.throws(
    () => ordersFromText(`${text}\nOrder: nonsense`, "batch x"),
    (e: unknown) => e instanceof DataError && /^batch x, line 3: /.test(e.message),
  );
});

Deno.test("orderToRow() keeps every field; absent limit and weight are NaN", () => {
  const order = new Order({
    id: 7,
    creationTimestamp: T,
    assetId: 8968126878,
    type: "twap",
    startTimestamp: T,
    endTimestamp: T + 1,
    currentShares: 2,
    diffShares: 0,
    targetWeight: -0.25,
  });
  const row = orderToRow(order, { runId: "r", filename: "b", updatedAt: T + 5 });
  assert.deepEqual(row, {
    runId: "r",
    orderId: 7,
    filename: "b",
    assetId: 8968126878,
    type: "twap",
    creationTime: T,
    start: T,
    end: T + 1,
    currShares: 2,
    diffShares: 0,
    limitPrice: NaN,
    targetWeight: -0.25,
    state: "submitted",
    filledShares: 0,
    orderTxt: order.toString(),
    updatedAt: T + 5,
  });
});

Deno.test("fillToRow() / fillFromRow() round-trip; a bad row is a DataError", () => {
  const fill = new Fill({
    id: 4,
    orderId: 7,
    assetId: 8968126878,
    timestamp: T,
    shares: -1 / 3,
    price: 0.1 + 0.2,
    fee: 1e-9,
  });
  const row = fillToRow(fill, "r");
  assert.equal(row.runId, "r");
  assert.deepEqual(fillFromRow(row).toFields(), fill.toFields());
  assert.throws(() => fillFromRow({ ...row, price: NaN }), DataError);
});
