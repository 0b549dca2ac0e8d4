import assert from "node:assert/strict";
import { DataError, UsageError } from "../errors/mod.ts";
import { IdCounter } from "./id_counter.ts";
import { Optimizer, type OptimizerBar, type SizingAccount } from "./optimizer.ts";
import {
  targetPositions,
  type TargetPositionsOptions,
  type TargetStyle,
  targetWeights,
} from "./target_positions.ts";
import { _random } from "./_test_bars.ts";

const T = Date.UTC(2025, 0, 6, 0, 5);
const NOW = T + 10_000;
const END = T + 300_000;

function bar(overrides: Partial<OptimizerBar> = {}): OptimizerBar {
  return {
    timestamp: T,
    startTimestamp: NOW,
    endTimestamp: END,
    assetIds: [30, 10, 20],
    predictions: [1, 1, NaN],
    volatilities: [0.01, 0.02, 0.03],
    prices: [2, 100, 50],
    holdings: new Map([[20, 3], [40, -1]]),
    netWealth: 1000,
    ...overrides,
  };
}

Deno.test("Optimizer.optimize() under gmv: targets, orders for non-zero trades, log rows", () => {
  const optimizer = new Optimizer({ style: "signal", sizing: "gmv", targetGmv: 500 });
  const ids = new IdCounter(7);
  const { targets, orders } = optimizer.optimize(bar(), ids);
  // Assets: the rows (10, 20, 30) and the held asset 40 (no forecast: target 0), ascending.
  assert.deepEqual(targets.map((r) => r.assetId), [10, 20, 30, 40]);
  assert.deepEqual(targets.map((r) => r.targetHoldingsShares), [5, 0, 250, 0]);
  assert.deepEqual(targets.map((r) => r.targetTradesShares), [5, -3, 250, 1]);
  assert.deepEqual(targets[1], {
    timestamp: T,
    assetId: 20,
    holdingsShares: 3,
    price: 50,
    holdingsNotional: 150,
    prediction: NaN,
    volatility: 0.03,
    targetHoldingsNotional: 0,
    targetTradesNotional: -150,
    targetTradesShares: -3,
    targetHoldingsShares: 0,
  });
  assert.deepEqual(
    orders.map((o) => [o.id, o.assetId, o.currentShares, o.diffShares, o.type, o.targetWeight]),
    [[7, 10, 0, 5, "next_open", undefined], [8, 20, 3, -3, "next_open", undefined], [
      9,
      30,
      0,
      250,
      "next_open",
      undefined,
    ], [10, 40, -1, 1, "next_open", undefined]],
  );
  for (const o of orders) {
    assert.deepEqual([o.creationTimestamp, o.startTimestamp, o.endTimestamp, o.state], [
      NOW,
      NOW,
      END,
      "submitted",
    ]);
  }
  assert.equal(optimizer.sizeAtFill, false);
});

Deno.test("Optimizer applies the exchange limits to the trades", () => {
  const limits = new Map([
    [10, { amountPrecision: 0 }], // 5.6 → 5
    [20, { minCost: 150 }], // sell 3 × 50 = 150 <= 150: no trade
    [30, { minAmount: 300 }], // 280 < 300: no trade
  ]);
  const optimizer = new Optimizer({
    style: "signal",
    sizing: "gmv",
    targetGmv: 560,
    limits,
    orderType: "twap",
  });
  const { targets, orders } = optimizer.optimize(bar({ prices: [2, 100, 50] }), new IdCounter());
  assert.deepEqual(targets.map((r) => [r.targetTradesShares, r.targetHoldingsShares]), [
    [5, 5],
    [0, 3],
    [0, 0],
    [1, 0],
  ]);
  assert.deepEqual(targets.map((r) => r.targetHoldingsNotional), [500, 150, 0, 0]);
  assert.deepEqual(orders.map((o) => [o.assetId, o.diffShares, o.type]), [[10, 5, "twap"], [
    40,
    1,
    "twap",
  ]]);
});

Deno.test("Optimizer sizes equity orders at fill with the evaluator's target function", () => {
  const options = {
    style: "cross_sectional" as const,
    sizing: "equity" as const,
    feeBps: 10,
    decimals: 4,
  };
  const optimizer = new Optimizer(options);
  assert.equal(optimizer.sizeAtFill, true);
  const input = bar({ predictions: [0.3, -0.2, 0.1], holdings: new Map([[20, 3], [40, 0]]) });
  const { orders } = optimizer.optimize(input, new IdCounter());
  // One order per asset with a weight or a holding, each carrying its weight.
  assert.deepEqual(orders.map((o) => o.assetId), [10, 20, 30]);
  assert.ok(orders.every((o) => o.sizedAtFill));
  const weights = targetWeights({
    predictions: [-0.2, 0.1, 0.3],
    volatilities: [0.02, 0.03, 0.01],
    prices: [NaN, NaN, NaN],
    holdings: [0, 0, 0],
    netWealth: 0,
  }, { ...options });
  assert.deepEqual(orders.map((o) => o.targetWeight), [...weights]);
  // At the fill: the account's holdings and net wealth at the fill prices.
  const fillPrices = new Map([[10, 101], [20, 49], [30, 2.1]]);
  const account: SizingAccount = {
    holdings: (id) => (id === 20 ? 3 : 0),
    netWealthAt: (prices) => 850 + 3 * (prices.get(20) as number),
  };
  const shares = optimizer.atFillSizer(account).sizeAtFill(
    [orders[2]!, orders[0]!, orders[1]!], // any order: the sizer sorts by asset id
    Float64Array.from([30, 10, 20], (id) => fillPrices.get(id) as number),
  );
  const direct = targetPositions({
    predictions: [-0.2, 0.1, 0.3],
    volatilities: [0.02, 0.03, 0.01],
    prices: [101, 49, 2.1],
    holdings: [0, 3, 0],
    netWealth: 850 + 3 * 49,
  }, options);
  assert.deepEqual([...shares], [
    direct.shares[2] as number,
    direct.shares[0] as number,
    (direct.shares[1] as number) - 3,
  ]);
});

Deno.test("targetWeights() then the signal style reproduces every style's targets exactly", () => {
  const rand = _random(42);
  const styles: TargetStyle[] = ["signal", "longitudinal", "cross_sectional"];
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + Math.floor(rand() * 8);
    const gen = (f: () => number) => Float64Array.from({ length: n }, f);
    const bar = {
      predictions: gen(() => (rand() < 0.1 ? NaN : rand() < 0.2 ? 0 : rand() * 2 - 1)),
      volatilities: gen(() => (rand() < 0.1 ? NaN : rand() * 0.05)),
      prices: gen(() => (rand() < 0.05 ? NaN : 1 + rand() * 1000)),
      holdings: gen(() => (rand() < 0.5 ? 0 : rand() * 10 - 5)),
      netWealth: rand() * 20_000 - 1000,
    };
    const options: TargetPositionsOptions = {
      style: styles[trial % 3]!,
      sizing: rand() < 0.5 ? "equity" : "gmv",
      targetGmv: 10_000,
      feeBps: rand() < 0.5 ? 0 : 25,
      decimals: rand() < 0.5 ? undefined : 3,
      modulateByMagnitude: rand() < 0.5,
    };
    const expected = targetPositions(bar, options);
    const weights = targetWeights(bar, options);
    const actual = targetPositions({ ...bar, predictions: weights }, {
      ...options,
      style: "signal",
    });
    assert.deepEqual(actual, expected, `trial ${trial}`);
  }
});

Deno.test("Optimizer refuses bad options and inconsistent rows", () => {
  assert.throws(() => new Optimizer({ style: "signal", sizing: "gmv" }), UsageError);
  assert.throws(() => new Optimizer({ style: "nope" as never, sizing: "equity" }), UsageError);
  assert.throws(
    () => new Optimizer({ style: "signal", sizing: "equity", orderType: "stop" as never }),
    UsageError,
  );
  const optimizer = new Optimizer({ style: "signal", sizing: "equity", orderType: "market" });
  assert.equal(optimizer.sizeAtFill, false, "live order types are sized at decision");
  assert.throws(() => optimizer.optimize(bar({ prices: [1] }), new IdCounter()), DataError);
  assert.throws(
    () => optimizer.optimize(bar({ assetIds: [1, 1, 2] }), new IdCounter()),
    /appears twice/,
  );
});
