/**
 * The `MarketData` interface (DESIGN §5): bars answered only as far as they are known at the
 * clock's `now()` (`knowledge_timestamp + delay <= now`). Implementations: a snapshot or store
 * frame replayed on a clock (`FrameMarketData`), and later ccxt live polling.
 */
import type pl from "nodejs-polars";
import type { ColumnFrame } from "../frame/mod.ts";
import type { Clock } from "./clock.ts";

/** Options of a `MarketData` query. */
export interface MarketDataQueryOptions {
  /** Restrict to these asset ids. Default: every asset of the source. */
  assetIds?: readonly number[];
}

/** Options of `waitForLatestData`. */
export interface WaitForDataOptions {
  /** Give up after this many ms of clock time with `TimeoutError`. Default: 3 bar periods. */
  timeoutMs?: number;
  /** Poll period on the clock, ms. Default: 1/10 of a bar period, at least 1 ms. */
  pollMs?: number;
  /** Aborts the wait with `InterruptedError`. Default: none. */
  signal?: AbortSignal;
}

/** Bars gated by knowledge time on a clock. All times are UTC epoch ms; frames follow §3. */
export interface MarketData {
  /** The clock whose `now()` gates every answer. */
  readonly clock: Clock;
  /** The bar period in ms. */
  readonly barMs: number;
  /** Asset ids this source serves, ascending. */
  assetIds(): readonly number[];
  /** `full_symbol` of each served asset id. */
  fullSymbols(): ReadonlyMap<number, string>;
  /**
   * Bars with `timestamp` in `(start, end]` known at `now()`, sorted by (timestamp, asset_id).
   * `end > now()` throws `FuturePeekingError`.
   */
  getData(start: number, end: number, options?: MarketDataQueryOptions): pl.DataFrame;
  /**
   * `getData`'s rows as a JS column frame. Optional: sources holding their bars in JS serve
   * it without a Polars call (the production loop asks for it every bar).
   */
  getColumns?(start: number, end: number, options?: MarketDataQueryOptions): ColumnFrame;
  /** Bars of the last `bars` bar periods known at `now()`: `getData(T - bars·barMs, T)` with T the latest known bar end. */
  getDataForLastBars(bars: number, options?: MarketDataQueryOptions): pl.DataFrame;
  /** The end of the latest bar known at `now()` (any asset), or `undefined` when none is. */
  lastKnownBarEnd(): number | undefined;
  /**
   * Waits on the clock until the bar ending at `barEnd` is known for every served asset.
   * Throws `TimeoutError` after `timeoutMs`.
   */
  waitForLatestData(barEnd: number, options?: WaitForDataOptions): Promise<void>;
  /** Close of each asset's latest known bar with `timestamp <= end`. `end > now()` throws. */
  lastPrice(end: number, options?: MarketDataQueryOptions): Map<number, number>;
  /** Mean of `(open+high+low+close)/4` over each asset's bars in `(start, end]`. */
  twapPrice(start: number, end: number, options?: MarketDataQueryOptions): Map<number, number>;
  /** Volume-weighted mean of `(open+high+low+close)/4` over `(start, end]` (TWAP when volume is 0). */
  vwapPrice(start: number, end: number, options?: MarketDataQueryOptions): Map<number, number>;
}
