/**
 * Fill conventions (DESIGN §7): the one list of execution prices shared by the forecast
 * evaluator and the simulated broker, for an order decided at the close of bar `t`.
 *
 * | convention   | trades during | price                                                   |
 * |--------------|---------------|---------------------------------------------------------|
 * | `close`      | bar t         | close(t) (idealized, vectorbt's default)                |
 * | `next_open`  | bar t+1       | open of the first bar in (t, t+1] (backtrader's; default) |
 * | `next_close` | bar t+1       | close of the last bar in (t, t+1], i.e. close(t+1)      |
 * | `twap`       | bar t+1       | mean of the typical prices (o+h+l+c)/4 of the bars in (t, t+1] |
 * | `vwap`       | bar t+1       | Σ typical·volume / Σ volume over the bars in (t, t+1]   |
 *
 * `twap` and `vwap` use the finest bars available: with one bar per period both are that bar's
 * typical price (o+h+l+c)/4 (vwap of a single bar cannot be weighted); a window whose volume
 * sums to 0 falls back to the twap. A window without any bar has no price (NaN): the order
 * cannot be filled.
 */
import { UsageError } from "../errors/mod.ts";

/** Every fill convention, in documentation order. */
export const FILL_CONVENTIONS = ["close", "next_open", "next_close", "twap", "vwap"] as const;

/** One fill convention (see the module documentation). */
export type FillConvention = typeof FILL_CONVENTIONS[number];

/** The default fill convention: `next_open` (backtrader's and backtesting.py's default). */
export const DEFAULT_FILL_CONVENTION: FillConvention = "next_open";

/** Whether `text` names a fill convention. */
export function isFillConvention(text: string): text is FillConvention {
  return (FILL_CONVENTIONS as readonly string[]).includes(text);
}

/** Parses a fill convention (e.g. from `--fill`); throws `UsageError` listing the known ones. */
export function parseFillConvention(text: string, what = "fill convention"): FillConvention {
  const value = text.trim();
  if (isFillConvention(value)) return value;
  throw new UsageError(
    `Unknown ${what} '${text}': expected one of ${FILL_CONVENTIONS.join(", ")}`,
  );
}

/**
 * Whether an order decided at the close of bar t trades during bar t+1 (every convention but
 * `close`, which trades at close(t) during bar t).
 */
export function fillsOnNextBar(convention: FillConvention): boolean {
  return convention !== "close";
}

/** OHLCV columns of bars in time order (one asset). */
export interface FillBarColumns {
  /** Open prices. */
  readonly open: ArrayLike<number>;
  /** High prices. */
  readonly high: ArrayLike<number>;
  /** Low prices. */
  readonly low: ArrayLike<number>;
  /** Close prices. */
  readonly close: ArrayLike<number>;
  /** Volumes (base units). */
  readonly volume: ArrayLike<number>;
}

/** The bars an order of a next-bar convention fills over: those in `(t, t+1]`, plus close(t). */
export interface FillWindow extends FillBarColumns {
  /** close(t), the close of the decision bar: the `close` convention's price. */
  readonly decisionClose: number;
}

/**
 * The fill price of one order decided at the close of bar t under `convention`: `close` →
 * `window.decisionClose`; the others aggregate the window's bars (all of `(t, t+1]`, in time
 * order). NaN when the window has no bar (the order cannot be filled).
 */
export function fillPrice(window: FillWindow, convention: FillConvention): number {
  if (convention === "close") return window.decisionClose;
  return _aggregate(window, 0, window.close.length, convention);
}

/** One asset's bars, sorted by strictly increasing bar END time. */
export interface FillBars extends FillBarColumns {
  /** Bar END times, epoch ms, strictly increasing. */
  readonly timestamp: ArrayLike<number>;
}

/** Options of `fillPrices`. */
export interface FillPricesOptions {
  /** Decision times (bar ENDs, epoch ms, strictly increasing): one fill price each. Required. */
  grid: ArrayLike<number>;
  /** The fill convention. Default: `next_open`. */
  convention?: FillConvention;
}

/**
 * The fill price of a decision at each grid time `grid[k]`, from one asset's bars: `close` →
 * the close of the bar ending exactly at `grid[k]`; the others → `fillPrice` over the bars in
 * `(grid[k], grid[k+1]]`. NaN where there is no such bar, and always for the last grid time of
 * a next-bar convention (there is no `grid[k+1]`: that decision is never filled).
 */
export function fillPrices(bars: FillBars, options: FillPricesOptions): Float64Array {
  const convention = options.convention ?? DEFAULT_FILL_CONVENTION;
  const grid = options.grid;
  const times = bars.timestamp;
  const nBars = times.length;
  const out = new Float64Array(grid.length).fill(NaN);
  let j = 0;
  if (convention === "close") {
    for (let k = 0; k < grid.length; k++) {
      const t = grid[k] as number;
      while (j < nBars && (times[j] as number) < t) j++;
      if (j < nBars && times[j] === t) out[k] = bars.close[j] as number;
    }
    return out;
  }
  for (let k = 0; k + 1 < grid.length; k++) {
    const start = grid[k] as number;
    const end = grid[k + 1] as number;
    while (j < nBars && (times[j] as number) <= start) j++;
    let stop = j;
    while (stop < nBars && (times[stop] as number) <= end) stop++;
    out[k] = _aggregate(bars, j, stop, convention);
    j = stop;
  }
  return out;
}

/** Options of `denseFillPrices`. */
export interface DenseFillPricesOptions {
  /** Number of assets per bar (the row width of the dense layout). Required. */
  numAssets: number;
  /** The fill convention. Default: `next_open`. */
  convention?: FillConvention;
}

/**
 * `fillPrices` for bars laid out dense on the decision grid itself: one bar per asset per
 * decision, index `k × numAssets + a` (sorted by time, then asset). The window (t, t+1] of a
 * next-bar convention is then the single bar at `k + 1`. NaN for the last bar's decisions.
 */
export function denseFillPrices(
  bars: FillBarColumns,
  options: DenseFillPricesOptions,
): Float64Array {
  const convention = options.convention ?? DEFAULT_FILL_CONVENTION;
  const width = options.numAssets;
  const n = bars.close.length;
  if (convention === "close") return Float64Array.from(bars.close);
  const out = new Float64Array(n).fill(NaN);
  for (let i = 0; i + width < n; i++) {
    out[i] = _aggregate(bars, i + width, i + width + 1, convention);
  }
  return out;
}

/** Price of the bars [from, to) under a next-bar convention; NaN when empty. */
function _aggregate(
  bars: FillBarColumns,
  from: number,
  to: number,
  convention: Exclude<FillConvention, "close">,
): number {
  if (to <= from) return NaN;
  switch (convention) {
    case "next_open":
      return bars.open[from] as number;
    case "next_close":
      return bars.close[to - 1] as number;
    case "twap": {
      let sum = 0;
      for (let i = from; i < to; i++) sum += _typical(bars, i);
      return sum / (to - from);
    }
    case "vwap": {
      if (to - from === 1) return _typical(bars, from);
      let num = 0;
      let den = 0;
      for (let i = from; i < to; i++) {
        const v = bars.volume[i] as number;
        num += _typical(bars, i) * v;
        den += v;
      }
      return den > 0 ? num / den : _aggregate(bars, from, to, "twap");
    }
  }
}

function _typical(bars: FillBarColumns, i: number): number {
  return ((bars.open[i] as number) + (bars.high[i] as number) + (bars.low[i] as number) +
    (bars.close[i] as number)) / 4;
}
