import assert from "node:assert/strict";
import { computeCurrentPositions, type FillRow, type OrderRow } from "../oms/db/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { CurrentPositionsTracker } from "./current_positions_tracker.ts";
import { _random as random } from "./_test_random.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 6, 22);
const OPTIONS = { runId: "r", strategyId: "s", account: "main" };

function order(id: number, assetId: number, t: number, curr: number, diff: number): OrderRow {
  return {
    runId: "r",
    orderId: id,
    filename: `b${id}`,
    assetId,
    type: "next_open",
    creationTime: t,
    start: t,
    end: t + 300_000,
    currShares: curr,
    diffShares: diff,
    limitPrice: NaN,
    targetWeight: NaN,
    state: "accepted",
    filledShares: 0,
    orderTxt: "",
    updatedAt: t,
  };
}

Deno.test("CurrentPositionsTracker.update() gives computeCurrentPositions' rows at every pass", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = random(seed);
    const tracker = new CurrentPositionsTracker(OPTIONS);
    // The same passes through record(), with rows() read at some of them only.
    const lazy = new CurrentPositionsTracker(OPTIONS);
    const sometimes = random(seed + 100);
    let read = 0;
    assert.deepEqual(lazy.rows(), [], "no rows before the first pass");
    const orders: OrderRow[] = [];
    const fills: FillRow[] = [];
    const open: OrderRow[] = [];
    let orderId = 0;
    let fillId = 0;
    let now = T0;
    const holdings = new Map<number, number>();
    for (let pass = 0; pass < 400; pass++) {
      // Passes every 5 minutes, sometimes skipping hours (and days).
      now += 300_000 + (rnd() < 0.05 ? Math.floor(rnd() * 30) * 3_600_000 : 0);
      const newFills: FillRow[] = [];
      // Fill or cancel some open orders; fills are stamped at or before now, some late
      // (before the previous pass, possibly on the previous day).
      for (const o of [...open]) {
        const u = rnd();
        if (u < 0.5) {
          const shares = rnd() < 0.2 ? o.diffShares / 2 : o.diffShares - o.filledShares;
          const stamp = now - Math.floor(rnd() * 3) * 400_000;
          const f: FillRow = {
            runId: "r",
            fillId: fillId++,
            orderId: o.orderId,
            assetId: o.assetId,
            timestamp: stamp,
            shares,
            price: 100 + rnd() * 10,
            fee: 0,
          };
          newFills.push(f);
          fills.push(f);
          o.filledShares += shares;
          holdings.set(o.assetId, (holdings.get(o.assetId) ?? 0) + shares);
          o.state = Math.abs(o.filledShares - o.diffShares) < 1e-12 ? "filled" : "partially_filled";
        } else if (u < 0.6) {
          o.state = "cancelled";
        }
      }
      for (let i = open.length - 1; i >= 0; i--) {
        const state = (open[i] as OrderRow).state;
        if (state === "filled" || state === "cancelled") open.splice(i, 1);
      }
      const newOrders: OrderRow[] = [];
      for (let a = 1; a <= 3; a++) {
        if (rnd() < 0.4) {
          const o = order(orderId++, a * 1000, now, holdings.get(a * 1000) ?? 0, rnd() - 0.5);
          if (rnd() < 0.1) o.state = "rejected";
          newOrders.push(o);
          orders.push(o);
          if (o.state === "accepted") open.push(o);
        }
      }
      const rows = tracker.update(now, { orders: newOrders, fills: newFills });
      const expected = computeCurrentPositions(orders, fills, { ...OPTIONS, now });
      assert.deepEqual(rows, expected, `seed ${seed} pass ${pass}`);
      lazy.record(now, { orders: newOrders, fills: newFills });
      if (sometimes() < 0.2) {
        read += 1;
        assert.deepEqual(lazy.rows(), expected, `seed ${seed} pass ${pass}: record, then rows`);
      }
    }
    assert.ok(read > 40 && read < 120);
    assert.ok(
      fills.length > 100 && new Set(fills.map((f) => Math.floor(f.timestamp / DAY))).size > 3,
    );
  }
});

Deno.test("CurrentPositionsTracker.update() refuses ids out of order, a pass back in time, future fills", () => {
  const tracker = new CurrentPositionsTracker(OPTIONS);
  tracker.update(T0, { orders: [order(5, 1, T0, 0, 1)] });
  assert.throws(() => tracker.update(T0, { orders: [order(5, 1, T0, 0, 1)] }), UsageError);
  assert.throws(() => tracker.update(T0 - 1), /before the previous one/);
  const fill = { fillId: 0, assetId: 1, timestamp: T0 + 10, shares: 1, price: 1 };
  assert.throws(() => tracker.update(T0, { fills: [fill] }), /after the pass time/);
});
