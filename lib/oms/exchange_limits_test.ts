import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { applyExchangeLimits } from "./exchange_limits.ts";

Deno.test("applyExchangeLimits() rounds toward zero to the amount precision", () => {
  const limits = { amountPrecision: 2 };
  assert.equal(applyExchangeLimits(1.239, 10, limits), 1.23);
  assert.equal(applyExchangeLimits(-1.239, 10, limits), -1.23);
  assert.equal(applyExchangeLimits(0.29, 10, limits), 0.29, "0.29 × 100 = 28.999… stays 0.29");
  assert.equal(applyExchangeLimits(0.004, 10, limits), 0);
  assert.equal(applyExchangeLimits(1234, 1, { amountPrecision: -2 }), 1200, "lots of 100");
  assert.equal(applyExchangeLimits(7.9, 1, { amountPrecision: 0 }), 7);
  assert.throws(() => applyExchangeLimits(1, 1, { amountPrecision: 0.5 }), UsageError);
});

Deno.test("applyExchangeLimits() zeroes trades under the minimum amount or cost", () => {
  assert.equal(applyExchangeLimits(0.0009, 100, { minAmount: 0.001 }), 0);
  assert.equal(applyExchangeLimits(-0.001, 100, { minAmount: 0.001 }), -0.001);
  assert.equal(applyExchangeLimits(0.05, 100, { minCost: 5 }), 0, "notional 5 <= min cost 5");
  assert.equal(applyExchangeLimits(-0.051, 100, { minCost: 5 }), -0.051);
  assert.equal(applyExchangeLimits(0.05, NaN, { minCost: 5 }), 0.05, "unknown price: not checked");
  assert.equal(applyExchangeLimits(0.0519, 100, { minCost: 5, amountPrecision: 2 }), 0);
  assert.equal(applyExchangeLimits(0.123456789, 100, undefined), 0.123456789, "no limits");
  assert.equal(applyExchangeLimits(0.123456789, 100, {}), 0.123456789, "empty limits");
});
