import assert from "node:assert/strict";
import { BinanceApiError } from "./binance_api_error.ts";
import {
  binanceFilterList,
  checkLotSize,
  checkNotional,
  checkPriceFilter,
  inferMarketFilters,
  type MarketFilters,
} from "./market_filters.ts";

function btc(): MarketFilters {
  return inferMarketFilters({
    prices: [[94_123.45, 94_200], [94_100.1]],
    volumes: [12.34567, 3, 0.1],
  }, "USDT");
}

Deno.test("inferMarketFilters() reads tick and step sizes off the price and volume grids", () => {
  const f = btc();
  assert.equal(f.tickSize, 0.01);
  assert.equal(f.minPrice, 0.01);
  assert.equal(f.stepSize, 0.00001);
  assert.equal(f.minQty, 0.00001);
  assert.equal(f.minNotional, 5);
  const doge = inferMarketFilters({ prices: [[0.38123, 0.4]], volumes: [1_234_567, 89] }, "USDT");
  assert.equal(doge.tickSize, 0.00001);
  assert.equal(doge.stepSize, 1);
  // Float noise and long fractions are capped at 8 decimals.
  const noisy = inferMarketFilters({ prices: [[0.1 + 0.2]], volumes: [1 / 3] }, "BTC");
  assert.equal(noisy.tickSize, 0.1);
  assert.equal(noisy.stepSize, 1e-8);
  assert.equal(noisy.minNotional, 0.0001);
  // One odd value in more than a thousand does not refine the grid.
  const volumes = [...Array.from({ length: 1500 }, (_, i) => 1 + i * 0.001), 3296.276122];
  assert.equal(inferMarketFilters({ prices: [[1.5]], volumes }, "USDT").stepSize, 0.001);
});

Deno.test("binanceFilterList() lists PRICE_FILTER, LOT_SIZE and NOTIONAL with decimal strings", () => {
  const list = binanceFilterList(btc());
  const byType = Object.fromEntries(list.map((f) => [f.filterType, f]));
  assert.equal((byType.PRICE_FILTER as Record<string, unknown>).tickSize, "0.01000000");
  assert.equal((byType.LOT_SIZE as Record<string, unknown>).stepSize, "0.00001000");
  assert.equal((byType.NOTIONAL as Record<string, unknown>).minNotional, "5.00000000");
});

Deno.test("checkPriceFilter()/checkLotSize()/checkNotional() throw -1013 naming the filter", () => {
  const f = btc();
  const failure = (fn: () => void, filter: string) =>
    assert.throws(
      fn,
      (e: unknown) =>
        e instanceof BinanceApiError && e.code === -1013 &&
        e.message === `Filter failure: ${filter}`,
    );
  checkPriceFilter(f, 95_000.12);
  failure(() => checkPriceFilter(f, 95_000.125), "PRICE_FILTER");
  checkLotSize(f, 0.00123);
  failure(() => checkLotSize(f, 0.000123), "LOT_SIZE");
  failure(() => checkLotSize(f, 0.000001), "LOT_SIZE");
  checkNotional(f, 95_000 * 0.0001);
  failure(() => checkNotional(f, 95_000 * 0.00005), "NOTIONAL");
});
