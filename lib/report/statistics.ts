/**
 * Portfolio statistics (DESIGN §10) from a per-bar PnL / net-wealth series.
 *
 * Conventions:
 * - Annualization: crypto trades 24/7, so a year is 365 days of 24 hours:
 *   `bars_per_year = 365 × 86,400,000 / bar_ms` (105,120 five-minute bars).
 * - Returns: `r_t = pnl_t / net_wealth_{t−1}` (with `net_wealth_{−1} = initial_cash`); bars whose
 *   previous net wealth is ≤ 0 have no return and are left out of the return statistics.
 * - `sharpe = mean(r) / std(r) × √bars_per_year` (sample std, n − 1);
 *   `sortino = mean(r) / downside × √bars_per_year` with `downside = √(Σ min(r, 0)² / n)`.
 * - `annualized_return` is geometric: `(final / initial)^(bars_per_year / bars) − 1`;
 *   `annualized_pnl = total_pnl × bars_per_year / bars`; `calmar = annualized_return /
 *   max_drawdown_fraction`.
 * - Drawdown of net wealth from its running peak (the initial cash counts as the first peak):
 *   `max_drawdown` in quote currency, `max_drawdown_fraction` = the largest drawdown relative
 *   to its peak; the duration is that of the largest absolute drawdown, from its peak to the
 *   first bar back at the peak (`max_drawdown_recovered`), or to the last bar.
 * - `turnover` (annualized) = gross traded notional per year (buys and sells) / average GMV:
 *   1 means trading the whole book's value once a year. `average_gmv` is the mean GMV per bar.
 * - `hit_rate` = bars with pnl > 0 / bars with pnl ≠ 0.
 * A statistic that is undefined for the series (no variance, no drawdown, no GMV, …) is null.
 */
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";

/** The annualization convention, as stated in every statistics object. */
export const ANNUALIZATION = "24/7 trading: bars_per_year = 365 * 86400000 / bar_ms";

const _YEAR_MS = 365 * 86_400_000;

/** Bars per year for a bar period in ms (24/7 markets: 365 days of 24 hours). */
export function barsPerYear(barMs: number): number {
  if (!(barMs > 0) || !Number.isFinite(barMs)) {
    throw new UsageError(`Invalid bar period ${barMs} ms: expected a positive number`);
  }
  return _YEAR_MS / barMs;
}

/** Per-bar series to compute statistics from (all of the same length, in time order). */
export interface StatisticsInput {
  /** PnL of each bar (quote currency). Required. */
  pnl: ArrayLike<number>;
  /** Net wealth after each bar (cash + Σ holdings × close). Required. */
  netWealth: ArrayLike<number>;
  /** Gross market value after each bar. Optional: without it, turnover and GMV are null. */
  gmv?: ArrayLike<number> | undefined;
  /** Gross traded notional of each bar. Optional: without it, turnover is null. */
  grossVolume?: ArrayLike<number> | undefined;
  /** Number of trades of each bar. Optional: without it, num_trades is 0. */
  numTrades?: ArrayLike<number> | undefined;
  /** Fees of each bar. Optional: without it, fees is 0. */
  fees?: ArrayLike<number> | undefined;
  /** Bar END times, epoch ms. Optional: gives `start` / `end`. */
  timestamp?: ArrayLike<number> | undefined;
}

/** Options of `computeStatistics`. */
export interface StatisticsOptions {
  /**
   * Bar period in ms. Required by `computeStatistics`; `statisticsFromMetrics` infers it from
   * the timestamps when absent.
   */
  barMs?: number | undefined;
  /** Net wealth before the first bar. Default: `netWealth[0] − pnl[0]`. */
  initialCash?: number | undefined;
}

/** The statistics of one portfolio series (snake_case keys, as written to stats.json). */
export interface PortfolioStatistics {
  /** First bar END, epoch ms (null without timestamps or bars). */
  start: number | null;
  /** Last bar END, epoch ms. */
  end: number | null;
  /** Number of bars. */
  bars: number;
  /** Bar period, ms. */
  bar_ms: number;
  /** Bars per year used to annualize. */
  bars_per_year: number;
  /** The annualization convention (`ANNUALIZATION`). */
  annualization: string;
  /** Net wealth before the first bar. */
  initial_cash: number;
  /** Net wealth after the last bar. */
  final_net_wealth: number | null;
  /** Σ pnl. */
  total_pnl: number;
  /** total_pnl / initial_cash. */
  total_return: number | null;
  /** total_pnl × bars_per_year / bars. */
  annualized_pnl: number | null;
  /** (final / initial)^(bars_per_year / bars) − 1. */
  annualized_return: number | null;
  /** std(r) × √bars_per_year. */
  annualized_volatility: number | null;
  /** mean(r) / std(r) × √bars_per_year. */
  sharpe: number | null;
  /** mean(r) / downside deviation × √bars_per_year. */
  sortino: number | null;
  /** Largest drop of net wealth from its running peak, quote currency. */
  max_drawdown: number;
  /** Largest drop of net wealth relative to its running peak (0.25 = −25%). */
  max_drawdown_fraction: number | null;
  /** Bars from the peak of the largest drawdown to its recovery (or the last bar). */
  max_drawdown_duration_bars: number;
  /** max_drawdown_duration_bars × bar_ms. */
  max_drawdown_duration_ms: number;
  /** Whether net wealth got back to that peak. */
  max_drawdown_recovered: boolean;
  /** annualized_return / max_drawdown_fraction. */
  calmar: number | null;
  /** Gross traded notional per year / average GMV. */
  turnover: number | null;
  /** Mean GMV per bar. */
  average_gmv: number | null;
  /** Bars with pnl > 0 / bars with pnl ≠ 0. */
  hit_rate: number | null;
  /** Σ trades. */
  num_trades: number;
  /** Σ fees. */
  fees: number;
}

/** Computes the statistics of a per-bar series (see the module documentation). */
export function computeStatistics(
  input: StatisticsInput,
  options: StatisticsOptions,
): PortfolioStatistics {
  const n = input.pnl.length;
  if (input.netWealth.length !== n) {
    throw new UsageError(
      `computeStatistics: pnl has ${n} bars but netWealth has ${input.netWealth.length}`,
    );
  }
  const barMs = options.barMs;
  if (barMs === undefined) throw new UsageError("computeStatistics: barMs is required");
  const perYear = barsPerYear(barMs);
  const pnl = input.pnl;
  const wealth = input.netWealth;
  const initial = options.initialCash ??
    (n > 0 ? (wealth[0] as number) - (pnl[0] as number) : 0);
  const final = n > 0 ? wealth[n - 1] as number : null;

  let total = 0, wins = 0, nonZero = 0;
  let count = 0, sum = 0, sumSquares = 0, downSquares = 0;
  let previous = initial;
  for (let t = 0; t < n; t++) {
    const x = pnl[t] as number;
    total += x;
    if (x > 0) wins++;
    if (x !== 0) nonZero++;
    if (previous > 0) {
      const r = x / previous;
      count++;
      sum += r;
      if (r < 0) downSquares += r * r;
    }
    previous = wealth[t] as number;
  }
  const mean = count > 0 ? sum / count : NaN;
  previous = initial;
  for (let t = 0; t < n; t++) {
    if (previous > 0) {
      const d = (pnl[t] as number) / previous - mean;
      sumSquares += d * d;
    }
    previous = wealth[t] as number;
  }
  const std = count > 1 ? Math.sqrt(sumSquares / (count - 1)) : NaN;
  const downside = count > 0 ? Math.sqrt(downSquares / count) : NaN;
  const rootYear = Math.sqrt(perYear);

  const drawdown = _drawdown(wealth, initial);
  const annualizedReturn = initial > 0 && final !== null && final > 0 && n > 0
    ? Math.pow(final / initial, perYear / n) - 1
    : NaN;

  const averageGmv = input.gmv === undefined || n === 0 ? NaN : _sum(input.gmv) / n;
  const grossPerBar = input.grossVolume === undefined || n === 0
    ? NaN
    : _sum(input.grossVolume) / n;
  const ts = input.timestamp;
  return {
    start: ts !== undefined && n > 0 ? ts[0] as number : null,
    end: ts !== undefined && n > 0 ? ts[n - 1] as number : null,
    bars: n,
    bar_ms: barMs,
    bars_per_year: perYear,
    annualization: ANNUALIZATION,
    initial_cash: initial,
    final_net_wealth: final,
    total_pnl: total,
    total_return: _orNull(initial > 0 ? total / initial : NaN),
    annualized_pnl: _orNull(n > 0 ? total * perYear / n : NaN),
    annualized_return: _orNull(annualizedReturn),
    annualized_volatility: _orNull(std * rootYear),
    sharpe: _orNull(std > 0 ? mean / std * rootYear : NaN),
    sortino: _orNull(downside > 0 ? mean / downside * rootYear : NaN),
    max_drawdown: drawdown.amount,
    max_drawdown_fraction: _orNull(drawdown.fraction),
    max_drawdown_duration_bars: drawdown.bars,
    max_drawdown_duration_ms: drawdown.bars * barMs,
    max_drawdown_recovered: drawdown.recovered,
    calmar: _orNull(drawdown.fraction > 0 ? annualizedReturn / drawdown.fraction : NaN),
    turnover: _orNull(averageGmv > 0 ? grossPerBar * perYear / averageGmv : NaN),
    average_gmv: _orNull(averageGmv),
    hit_rate: _orNull(nonZero > 0 ? wins / nonZero : NaN),
    num_trades: input.numTrades === undefined ? 0 : _sum(input.numTrades),
    fees: input.fees === undefined ? 0 : _sum(input.fees),
  };
}

/**
 * Statistics of a per-bar metrics frame (columns `timestamp`, `pnl`, `net_wealth`, and when
 * present `gmv`, `gross_volume`, `num_trades`, `fees`: the forecast evaluator's and the
 * Portfolio's bar metrics). Without `options.barMs`, the bar period is the smallest step
 * between timestamps. Throws `DataError` on a missing column, `UsageError` when the period
 * cannot be inferred.
 */
export function statisticsFromMetrics(
  metrics: pl.DataFrame,
  options: StatisticsOptions = {},
): PortfolioStatistics {
  const columns = new Set(metrics.columns);
  const missing = ["timestamp", "pnl", "net_wealth"].filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new DataError(
      `Cannot compute statistics: the metrics frame has no column ${missing.join(", ")} ` +
        `(columns: ${metrics.columns.join(", ")})`,
    );
  }
  const read = (name: string): Float64Array | undefined => {
    if (!columns.has(name)) return undefined;
    try {
      const dtype = metrics.getColumn(name).dtype;
      const zone = dtype.variant === "Datetime" ? (dtype.inner as unknown[])[1] : undefined;
      const column = dtype.variant === "Datetime"
        ? pl.col(name).cast(pl.Datetime("ms", typeof zone === "string" ? zone : undefined))
        : pl.col(name);
      return metrics.select(column.cast(pl.Float64).fillNull(pl.lit(NaN))).getColumn(name)
        .toTypedArray() as Float64Array;
    } catch (error) {
      throw new DataError(`Cannot compute statistics: column '${name}' is not numeric`, {
        cause: error,
      });
    }
  };
  const timestamp = read("timestamp") as Float64Array;
  let barMs = options.barMs;
  if (barMs === undefined) {
    let step = Infinity;
    for (let t = 1; t < timestamp.length; t++) {
      const d = (timestamp[t] as number) - (timestamp[t - 1] as number);
      if (d > 0 && d < step) step = d;
    }
    if (!Number.isFinite(step)) {
      throw new UsageError(
        "Cannot compute statistics: the bar period cannot be inferred from fewer than two bars; pass barMs",
      );
    }
    barMs = step;
  }
  return computeStatistics({
    pnl: read("pnl") as Float64Array,
    netWealth: read("net_wealth") as Float64Array,
    gmv: read("gmv"),
    grossVolume: read("gross_volume"),
    numTrades: read("num_trades"),
    fees: read("fees"),
    timestamp,
  }, { barMs, initialCash: options.initialCash });
}

interface _Drawdown {
  amount: number;
  fraction: number;
  bars: number;
  recovered: boolean;
}

/** Largest drawdown of `wealth` from its running peak (starting at `initial`). */
function _drawdown(wealth: ArrayLike<number>, initial: number): _Drawdown {
  let peak = initial;
  let peakAt = -1;
  let amount = 0;
  let fraction = 0;
  let worstPeak = initial;
  let worstPeakAt = -1;
  let worstTroughAt = -1;
  for (let t = 0; t < wealth.length; t++) {
    const w = wealth[t] as number;
    if (w >= peak) {
      peak = w;
      peakAt = t;
      continue;
    }
    const drop = peak - w;
    if (drop > amount) {
      amount = drop;
      worstPeak = peak;
      worstPeakAt = peakAt;
      worstTroughAt = t;
    }
    if (peak > 0 && drop / peak > fraction) fraction = drop / peak;
  }
  if (amount === 0) return { amount: 0, fraction: 0, bars: 0, recovered: true };
  let recoveredAt = -1;
  for (let t = worstTroughAt + 1; t < wealth.length; t++) {
    if ((wealth[t] as number) >= worstPeak) {
      recoveredAt = t;
      break;
    }
  }
  const endAt = recoveredAt >= 0 ? recoveredAt : wealth.length - 1;
  return { amount, fraction, bars: endAt - worstPeakAt, recovered: recoveredAt >= 0 };
}

function _sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s;
}

function _orNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
