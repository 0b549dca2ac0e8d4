import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import {
  parseSizing,
  parseTargetStyle,
  targetPositions,
  type TargetPositionsBar,
} from "./target_positions.ts";

function bar(fields: Partial<TargetPositionsBar> & { predictions: number[] }): TargetPositionsBar {
  const n = fields.predictions.length;
  return {
    predictions: fields.predictions,
    volatilities: fields.volatilities ?? new Array(n).fill(0.01),
    prices: fields.prices ?? new Array(n).fill(100),
    holdings: fields.holdings ?? new Array(n).fill(0),
    netWealth: fields.netWealth ?? 1000,
  };
}

function close(actual: ArrayLike<number>, expected: number[], tolerance = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e)), `[${i}] ${a} != ${e}`);
  }
}

Deno.test("targetPositions() signal style: the prediction is the weight", () => {
  const b = bar({ predictions: [1, 0, -0.5, NaN], prices: [100, 50, 20, 10] });
  const gmv = targetPositions(b, { style: "signal", sizing: "gmv", targetGmv: 2000 });
  assert.deepEqual([...gmv.notional], [2000, 0, -1000, 0]);
  assert.deepEqual([...gmv.shares], [20, 0, -50, 0]);
  const equity = targetPositions(b, { style: "signal", sizing: "equity" });
  assert.deepEqual([...equity.notional], [1000, 0, -500, 0]);
  assert.deepEqual([...equity.shares], [10, 0, -25, 0]);
});

Deno.test("targetPositions() equity sizing with net wealth <= 0 is flat", () => {
  const r = targetPositions(bar({ predictions: [1], netWealth: -5 }), {
    style: "signal",
    sizing: "equity",
  });
  assert.deepEqual([...r.shares], [0]);
});

Deno.test("targetPositions() longitudinal: sign × risk / clipped vol, threshold, magnitude", () => {
  const b = bar({
    predictions: [0.5, -2, 0.1, 0, 1],
    volatilities: [0.01, 0.02, 0.01, 0.01, 1e-6],
  });
  const options = {
    style: "longitudinal",
    sizing: "gmv",
    targetGmv: 1000,
    riskPerName: 0.001,
  } as const;
  // weight = sign(p) · 0.001 / max(vol, 1e-4); notional = weight × 1000.
  close(targetPositions(b, options).notional, [100, -50, 100, 0, 10_000]);
  close(targetPositions(b, { ...options, predictionAbsThreshold: 0.3 }).notional, [
    100,
    -50,
    0,
    0,
    10_000,
  ]);
  close(targetPositions(b, { ...options, modulateByMagnitude: true }).notional, [
    50,
    -100,
    10,
    0,
    10_000,
  ]);
  const noVol = bar({ predictions: [1], volatilities: [NaN] });
  assert.deepEqual([...targetPositions(noVol, options).notional], [0]);
});

Deno.test("targetPositions() cross_sectional: sign of the Gaussian rank / vol², Σ|target| = GMV", () => {
  const b = bar({
    predictions: [0.3, -0.1, 0.2, 0.0, NaN],
    volatilities: [0.01, 0.02, 0.02, 0.01, 0.01],
  });
  const r = targetPositions(b, { style: "cross_sectional", sizing: "gmv", targetGmv: 1000 });
  // Ranks among the 4 valid: -0.1 → 1, 0.0 → 2, 0.2 → 3, 0.3 → 4; median 2.5: signs −, −, +, +.
  const raw = [1 / 0.01 ** 2, -1 / 0.02 ** 2, 1 / 0.02 ** 2, -1 / 0.01 ** 2, 0];
  const gross = raw.reduce((s, x) => s + Math.abs(x), 0);
  close(r.notional, raw.map((x) => (x / gross) * 1000));
  const total = [...r.notional].reduce((s, x) => s + Math.abs(x), 0);
  assert.ok(Math.abs(total - 1000) < 1e-9);
});

Deno.test("targetPositions() cross_sectional: the median and its ties get 0", () => {
  const odd = targetPositions(bar({ predictions: [3, 1, 2] }), {
    style: "cross_sectional",
    sizing: "gmv",
    targetGmv: 100,
  });
  assert.deepEqual([...odd.notional], [50, -50, 0]);
  const ties = targetPositions(bar({ predictions: [1, 1, 1] }), {
    style: "cross_sectional",
    sizing: "gmv",
    targetGmv: 100,
  });
  assert.deepEqual([...ties.notional], [0, 0, 0]);
});

Deno.test("targetPositions() quantizes shares to decimals (−2 = lots of 100)", () => {
  const b = bar({ predictions: [1, -1], prices: [3, 3], netWealth: 1000 });
  const options = { style: "signal", sizing: "equity" } as const;
  assert.deepEqual([...targetPositions(b, { ...options, decimals: 2 }).shares], [333.33, -333.33]);
  assert.deepEqual([...targetPositions(b, { ...options, decimals: 0 }).shares], [333, -333]);
  assert.deepEqual([...targetPositions(b, { ...options, decimals: -2 }).shares], [300, -300]);
  const r = targetPositions(b, { ...options, decimals: -2 });
  assert.deepEqual([...r.notional], [900, -900]);
  const half = bar({ predictions: [1, -1], prices: [1, 1], netWealth: 2.5 });
  assert.deepEqual([...targetPositions(half, { ...options, decimals: 0 }).shares], [3, -3]);
});

Deno.test("targetPositions() keeps the holdings when the target is within the tolerance", () => {
  const held = 1000 / 3;
  const b = bar({ predictions: [1], prices: [3], holdings: [held], netWealth: held * 3 + 1e-10 });
  const r = targetPositions(b, { style: "signal", sizing: "equity" });
  assert.equal(r.shares[0], held);
  const strict = targetPositions(b, { style: "signal", sizing: "equity", rebalanceTolerance: 0 });
  assert.notEqual(strict.shares[0], held);
});

Deno.test("targetPositions() cannot size an asset without a price: keeps its holdings", () => {
  const b = bar({ predictions: [1, 1, 1], prices: [NaN, 0, 10], holdings: [2, 0, 0] });
  const r = targetPositions(b, { style: "signal", sizing: "gmv", targetGmv: 100 });
  assert.deepEqual([...r.shares], [2, 0, 10]);
  assert.ok(Number.isNaN(r.notional[0]));
  assert.deepEqual([r.notional[1], r.notional[2]], [0, 100]);
});

Deno.test("targetPositions() equity sizing with fees invests net of the fee", () => {
  const feeBps = 10;
  const b = bar({ predictions: [1], prices: [100], netWealth: 1000 });
  const r = targetPositions(b, { style: "signal", sizing: "equity", feeBps });
  const shares = r.shares[0] as number;
  const cash = 1000 - shares * 100 - shares * 100 * feeBps / 1e4;
  assert.ok(Math.abs(cash) < 1e-9, `cash after the buy ${cash}`);
  // Fully invested, nothing to do on the next bar at another price.
  const next = targetPositions(
    bar({ predictions: [1], prices: [120], holdings: [shares], netWealth: cash + shares * 120 }),
    { style: "signal", sizing: "equity", feeBps },
  );
  assert.equal(next.shares[0], shares);
});

Deno.test("targetPositions() writes into out and validates its inputs", () => {
  const out = { notional: new Float64Array(2), shares: new Float64Array(2) };
  const r = targetPositions(bar({ predictions: [1, 0] }), {
    style: "signal",
    sizing: "equity",
    out,
  });
  assert.equal(r, out);
  assert.deepEqual([...out.shares], [10, 0]);
  assert.throws(
    () => targetPositions(bar({ predictions: [1] }), { style: "signal", sizing: "gmv" }),
    (e: unknown) => e instanceof UsageError && /targetGmv/.test(e.message),
  );
  assert.throws(
    () =>
      targetPositions(bar({ predictions: [1, 2, 3] }), { style: "signal", sizing: "equity", out }),
    UsageError,
  );
});

Deno.test("parseTargetStyle() and parseSizing() reject unknown names listing the known ones", () => {
  assert.equal(parseTargetStyle("cross_sectional"), "cross_sectional");
  assert.equal(parseSizing("gmv"), "gmv");
  assert.throws(() => parseTargetStyle("rank"), /signal, longitudinal, cross_sectional/);
  assert.throws(() => parseSizing("kelly"), /gmv, equity/);
});

Deno.test("targetPositions() equity sizing with fees solves base = wealth − fees of the trades", () => {
  const feeBps = 25;
  const prices = [100, 40, 10];
  const holdings = [3, -10, 20];
  const cash = 800;
  const netWealth = cash + 300 - 400 + 200;
  const predictions = [0.5, 0.3, -0.4];
  const r = targetPositions(
    bar({ predictions, prices, holdings, netWealth }),
    { style: "signal", sizing: "equity", feeBps },
  );
  let fees = 0;
  for (let i = 0; i < 3; i++) {
    fees += Math.abs(((r.shares[i] as number) - holdings[i]!) * prices[i]!) * feeBps / 1e4;
  }
  const base = netWealth - fees;
  close(r.notional, predictions.map((w) => w * base), 1e-12);
});
