import assert from "node:assert/strict";
import { DataError } from "../errors/mod.ts";
import { assetIdOf } from "../sim/mod.ts";
import {
  CCXT_PRECISION_MODES,
  ccxtExchangeLimits,
  ccxtMarketRules,
  ceilToStep,
  floorToStep,
  stepDecimals,
} from "./ccxt_exchange_limits.ts";

const binanceLike = {
  id: "binance",
  precisionMode: CCXT_PRECISION_MODES.tickSize,
  markets: {
    "BTC/USDT": {
      precision: { amount: 0.00001, price: 0.01 },
      limits: { amount: { min: 0.00001, max: 9000 }, cost: { min: 5 } },
    },
    "DOGE/USDT": {
      precision: { amount: 1, price: 0.00001 },
      limits: { amount: { min: 1, max: undefined }, cost: { min: 1 } },
    },
  },
};

Deno.test("ccxtMarketRules() reads steps, ticks and minimums in TICK_SIZE and DECIMAL_PLACES modes", () => {
  assert.deepEqual(ccxtMarketRules(binanceLike, "BTC/USDT"), {
    symbol: "BTC/USDT",
    amountStep: 0.00001,
    priceTick: 0.01,
    minAmount: 0.00001,
    maxAmount: 9000,
    minCost: 5,
  });
  const decimals = {
    id: "kraken",
    precisionMode: CCXT_PRECISION_MODES.decimalPlaces,
    markets: { "ETH/USD": { precision: { amount: 8, price: 2 }, limits: {} } },
  };
  const rules = ccxtMarketRules(decimals, "ETH/USD");
  assert.equal(rules.amountStep, 1e-8);
  assert.equal(rules.priceTick, 0.01);
  assert.equal(rules.minCost, undefined);
  assert.throws(() => ccxtMarketRules(binanceLike, "ETH/USDT"), DataError);
  assert.throws(() => ccxtMarketRules({ id: "x" }, "ETH/USDT"), /load the markets first/);
});

Deno.test("ccxtExchangeLimits() keys the Optimizer's limits by asset id with decimal places", () => {
  const limits = ccxtExchangeLimits(binanceLike, ["BTC/USDT", "binance::DOGE_USDT"]);
  assert.deepEqual(limits.get(assetIdOf("binance::BTC_USDT")), {
    minAmount: 0.00001,
    minCost: 5,
    amountPrecision: 5,
  });
  assert.deepEqual(limits.get(assetIdOf("binance::DOGE_USDT")), {
    minAmount: 1,
    minCost: 1,
    amountPrecision: 0,
  });
});

Deno.test("stepDecimals(), floorToStep() and ceilToStep() give clean multiples", () => {
  assert.deepEqual([0.001, 1, 100, 0.5, 0.025, 1e-8].map(stepDecimals), [3, 0, -2, 0, 1, 8]);
  assert.equal(floorToStep(0.29, 0.01), 0.29);
  assert.equal(floorToStep(1.23999, 0.01), 1.23);
  assert.equal(floorToStep(0.3, 0.1), 0.3, "no 0.30000000000000004");
  assert.equal(ceilToStep(1.231, 0.01), 1.24);
  assert.equal(ceilToStep(1.23, 0.01), 1.23);
  assert.equal(floorToStep(7.3, undefined), 7.3);
  assert.throws(() => stepDecimals(0), DataError);
});
