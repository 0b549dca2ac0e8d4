/**
 * Symbol filters of the emulated venue (Binance's `PRICE_FILTER`, `LOT_SIZE`, `MARKET_LOT_SIZE`,
 * `NOTIONAL`) — inferred from the grid the symbol's bar prices and volumes lie on — and the
 * order checks that enforce them with Binance's -1013 errors.
 */
import { BinanceErrors } from "./binance_api_error.ts";
import { _fmt, _isMultiple } from "./_format.ts";

/** The trading filters of one symbol. */
export interface MarketFilters {
  /** Price increment (`PRICE_FILTER.tickSize`). */
  tickSize: number;
  /** Lowest accepted price (`PRICE_FILTER.minPrice`). */
  minPrice: number;
  /** Highest accepted price (`PRICE_FILTER.maxPrice`). */
  maxPrice: number;
  /** Quantity increment (`LOT_SIZE.stepSize`). */
  stepSize: number;
  /** Smallest quantity (`LOT_SIZE.minQty`). */
  minQty: number;
  /** Largest quantity (`LOT_SIZE.maxQty`). */
  maxQty: number;
  /** Smallest order value in the quote asset (`NOTIONAL.minNotional`, also applied to market orders). */
  minNotional: number;
}

/** Quote assets whose minimum order value is 5 units on Binance. */
const _STABLE_QUOTES = new Set(["USDT", "USDC", "FDUSD", "BUSD", "TUSD", "DAI", "USD", "EUR"]);

/** Price and volume columns of a symbol, for `inferMarketFilters`. */
export interface FilterSource {
  /** Open, high, low and close prices (any number of arrays). */
  prices: readonly ArrayLike<number>[];
  /** Bar volumes. */
  volumes: ArrayLike<number>;
}

/**
 * Filters inferred from a symbol's bars. Binance's trade prices lie on the symbol's tick grid
 * and bar volumes are sums of quantities on its step grid, so the finest decimal place of the
 * values gives them: `tickSize = 10^−(decimals of the prices)` (BTC/USDT 0.01, DOGE/USDT
 * 0.00001), `stepSize = minQty = 10^−(decimals of the volumes)` (BTC/USDT 0.00001), counting
 * the decimals that cover all but 0.1 % of the values (capped at 8); `minNotional` is 5 for
 * stablecoin quotes, else 0.0001.
 */
export function inferMarketFilters(source: FilterSource, quote: string): MarketFilters {
  const tickSize = _pow10(-_gridDecimals(source.prices));
  const stepSize = _pow10(-_gridDecimals([source.volumes]));
  return {
    tickSize,
    minPrice: tickSize,
    maxPrice: 1_000_000,
    stepSize,
    minQty: stepSize,
    maxQty: 9_000_000,
    minNotional: _STABLE_QUOTES.has(quote) ? 5 : 0.0001,
  };
}

/** The filters as Binance lists them in `exchangeInfo.symbols[].filters`. */
export function binanceFilterList(f: MarketFilters): Record<string, unknown>[] {
  return [
    {
      filterType: "PRICE_FILTER",
      minPrice: _fmt(f.minPrice),
      maxPrice: _fmt(f.maxPrice),
      tickSize: _fmt(f.tickSize),
    },
    {
      filterType: "LOT_SIZE",
      minQty: _fmt(f.minQty),
      maxQty: _fmt(f.maxQty),
      stepSize: _fmt(f.stepSize),
    },
    {
      filterType: "MARKET_LOT_SIZE",
      minQty: _fmt(0),
      maxQty: _fmt(f.maxQty),
      stepSize: _fmt(0),
    },
    {
      filterType: "NOTIONAL",
      minNotional: _fmt(f.minNotional),
      applyMinToMarket: true,
      maxNotional: _fmt(9_000_000),
      applyMaxToMarket: false,
      avgPriceMins: 5,
    },
  ];
}

/** Throws -1013 `Filter failure: PRICE_FILTER` unless `price` is on the tick grid and in range. */
export function checkPriceFilter(f: MarketFilters, price: number): void {
  if (price < f.minPrice || price > f.maxPrice || !_isMultiple(price, f.tickSize)) {
    throw BinanceErrors.filterFailure("PRICE_FILTER");
  }
}

/** Throws -1013 `Filter failure: LOT_SIZE` unless `qty` is on the step grid and in range. */
export function checkLotSize(f: MarketFilters, qty: number): void {
  if (qty < f.minQty - 1e-12 || qty > f.maxQty || !_isMultiple(qty, f.stepSize)) {
    throw BinanceErrors.filterFailure("LOT_SIZE");
  }
}

/** Throws -1013 `Filter failure: NOTIONAL` when `notional` (price × qty) is below the minimum. */
export function checkNotional(f: MarketFilters, notional: number): void {
  if (notional < f.minNotional - 1e-12) throw BinanceErrors.filterFailure("NOTIONAL");
}

function _pow10(e: number): number {
  return Number(`1e${e}`);
}

/**
 * The decimal places (at most 8, counted on the 8-decimal text) that cover all but 0.1 % of the
 * values: a rare odd value (a data artifact) does not refine the grid.
 */
function _gridDecimals(columns: readonly ArrayLike<number>[]): number {
  const counts = new Float64Array(9);
  let n = 0;
  for (const values of columns) {
    for (let i = 0; i < values.length; i++) {
      const x = values[i] as number;
      if (!Number.isFinite(x)) continue;
      n++;
      if (Number.isInteger(x)) {
        counts[0] = (counts[0] as number) + 1;
        continue;
      }
      const text = Math.abs(x).toFixed(8).replace(/0+$/, "");
      const d = text.length - text.indexOf(".") - 1;
      counts[d] = (counts[d] as number) + 1;
    }
  }
  const allowedOutliers = Math.floor(n * 0.001);
  let above = n;
  for (let d = 0; d <= 8; d++) {
    above -= counts[d] as number;
    if (above <= allowedOutliers) return d;
  }
  return 8;
}
