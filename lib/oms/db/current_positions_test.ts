import assert from "node:assert/strict";
import { computeCurrentPositions, tradeDateOf } from "./current_positions.ts";
import type { FillRow, OrderRow } from "./oms_rows.ts";

const DAY = 86_400_000;
const D1 = Date.UTC(2025, 0, 7);

function o(
  orderId: number,
  assetId: number,
  curr: number,
  diff: number,
  state: string,
  filled = 0,
): OrderRow {
  return {
    runId: "r",
    orderId,
    filename: "b",
    assetId,
    type: "next_open",
    creationTime: 0,
    start: 0,
    end: 1,
    currShares: curr,
    diffShares: diff,
    limitPrice: NaN,
    targetWeight: NaN,
    state,
    filledShares: filled,
    orderTxt: "",
    updatedAt: 0,
  };
}

function f(
  fillId: number,
  orderId: number,
  assetId: number,
  t: number,
  shares: number,
  price: number,
): FillRow {
  return { runId: "r", fillId, orderId, assetId, timestamp: t, shares, price, fee: 0.5 };
}

Deno.test("tradeDateOf() is the UTC date", () => {
  assert.equal(tradeDateOf(D1), "2025-01-07");
  assert.equal(tradeDateOf(D1 + DAY - 1), "2025-01-07");
  assert.equal(tradeDateOf(D1 - 1), "2025-01-06");
});

Deno.test("computeCurrentPositions() derives positions from orders and fills", () => {
  const orders = [
    o(2, 7, 1, 2, "filled", 2), // asset 7 starts at 1 share
    o(5, 7, 3, -1, "partially_filled", -0.25),
    o(6, 7, 2.75, 10, "rejected"),
    o(3, 9, 0, 4, "cancelled", 1),
  ];
  const fills = [
    f(1, 2, 7, D1 - 10, 2, 100), // yesterday
    f(3, 5, 7, D1 + 5, -0.25, 110),
    f(2, 3, 9, D1 - 20, 1, 50),
    f(4, 99, 11, D1 + 1, 3, 2), // a fill of an order not in the list
  ];
  const rows = computeCurrentPositions(orders, fills, {
    runId: "r",
    strategyId: "s",
    account: "a",
    now: D1 + 60_000,
  });
  const pick = rows.map((r) => [
    r.assetId,
    r.targetPosition,
    r.currentPosition,
    r.openQuantity,
    r.netCost,
    r.bodPosition,
    r.bodPrice,
  ]);
  assert.deepEqual(pick, [
    [7, 3 - 1, 1 + 2 - 0.25, -0.75, -0.25 * 110, 3, 100],
    [9, 0 + 1, 1, 0, 0, 1, 50],
    [11, 3, 3, 0, 6, 0, NaN],
  ]);
  for (const r of rows) {
    assert.equal(r.tradeDate, "2025-01-07");
    assert.equal(r.timestampDb, D1 + 60_000);
    assert.equal(r.account, "a");
    assert.equal(r.strategyId, "s");
  }
  assert.deepEqual(
    computeCurrentPositions([], [], { runId: "r", strategyId: "s", account: "a", now: 0 }),
    [],
  );
});
