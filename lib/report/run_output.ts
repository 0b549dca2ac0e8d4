/**
 * `RunOutput`: what the report reads from a run, whatever produced it — a backtest directory
 * (DESIGN §7) or a system log directory of `simulate` / `run-prod` (DESIGN §9) — normalized to
 * the same frames, so that statistics, plots and reconciliation never look at file layouts.
 *
 * Normalized frames (times `Datetime("ms","UTC")`, asset ids Int64, sorted by keys):
 * - metrics, per bar: `timestamp` and `METRIC_COLUMNS` (pnl, gross_volume, net_volume, gmv,
 *   nmv, fees, cash, net_wealth, leverage, num_trades);
 * - positions, per (timestamp, asset_id): any of `POSITION_FRAME_COLUMNS` — the forecast, the
 *   target decided at the bar, the fills applied during the bar (Σ shares, Σ notional, their
 *   average price, Σ fees), the executed trades and the holdings after the bar;
 * - latency, per bar: `timestamp`, `ms` (the DAG's time for that bar, Σ over its nodes).
 * `readRunOutput` (read_run_output.ts) opens one.
 */
import pl from "nodejs-polars";
import type { JsonValue } from "../config/mod.ts";
import type { FillConvention, Sizing, TargetStyle } from "../oms/mod.ts";

/** Per-asset columns a normalized positions frame may hold (besides timestamp, asset_id). */
export const POSITION_FRAME_COLUMNS = [
  "prediction",
  "target_holdings_shares",
  "target_holdings_notional",
  "fill_shares",
  "fill_notional",
  "fill_price",
  "fill_fees",
  "executed_trades_shares",
  "executed_trades_notional",
  "holdings_shares",
  "holdings_notional",
] as const;

/** Per-bar columns of a normalized metrics frame (besides timestamp). */
export const METRIC_FRAME_COLUMNS = [
  "pnl",
  "gross_volume",
  "net_volume",
  "gmv",
  "nmv",
  "fees",
  "cash",
  "net_wealth",
  "leverage",
  "num_trades",
] as const;

/** The forecast evaluator settings a run was made with (to recompute its research portfolio). */
export interface ResearchSettings {
  /** Target style. */
  style: TargetStyle;
  /** Sizing. */
  sizing: Sizing;
  /** Fill convention. */
  fill: FillConvention;
  /** Fee, bps of traded notional. */
  feeBps: number;
  /** Cash before the first bar. */
  initialCash: number;
  /** Target GMV (`gmv` sizing); undefined = the initial cash. */
  targetGmv: number | undefined;
  /** Where the settings were read (file and key), for messages. */
  source: string;
}

/** A run's logged forecasts: long frame and the names of its price / volatility / prediction columns. */
export interface RunForecasts {
  /** timestamp, asset_id and the three columns below (volatility may be absent). */
  frame: pl.DataFrame;
  /** Decision price column. */
  priceCol: string;
  /** Volatility column. */
  volatilityCol: string;
  /** Prediction column. */
  predictionCol: string;
}

/** What the report reads from one run (see the module documentation). */
export interface RunOutput {
  /** `backtest` or `system_log`. */
  readonly kind: "backtest" | "system_log";
  /** The directory read. */
  readonly dir: string;
  /** Bar period, ms. */
  readonly barMs: number;
  /** The run's metadata (run.json, or the backtest's range and settings), for the report. */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** The effective config as `key: value` text, when the run saved one. */
  readonly configText: string | undefined;
  /** The evaluator settings from the run's config, when it has them. */
  readonly researchSettings: ResearchSettings | undefined;
  /** Why `researchSettings` is undefined (shown in the report). */
  readonly researchSettingsProblem: string | undefined;
  /** The bars the run traded on (snapshot, store or the run's own market_data/), when known. */
  readonly dataPath: string | undefined;
  /** Per-bar metrics (normalized). */
  metrics(): Promise<pl.DataFrame>;
  /** Per-asset positions (normalized), when the run logged them. */
  positions(): Promise<pl.DataFrame | undefined>;
  /** The forecasts the run acted on, when it logged them. */
  forecasts(): Promise<RunForecasts | undefined>;
  /** DAG latency per bar (`timestamp`, `ms`), when the run profiled its DAG. */
  latency(): Promise<pl.DataFrame | undefined>;
}

/**
 * The normalized positions of a forecast-evaluator / Portfolio ledger frame (columns
 * `executed_trades_shares`, `executed_trades_notional`, `fees`, holdings, targets, prediction —
 * a backtest's `portfolio/positions.parquet`): its trades are also its fills (`fill_shares`,
 * `fill_notional`, `fill_fees`, and `fill_price` = notional / shares, NaN without a trade).
 * Columns it lacks stay absent.
 */
export function normalizeLedgerPositions(positions: pl.DataFrame): pl.DataFrame {
  const present = new Set(positions.columns);
  const extra: pl.Expr[] = [];
  if (present.has("executed_trades_shares")) {
    extra.push(pl.col("executed_trades_shares").alias("fill_shares"));
  }
  if (present.has("executed_trades_notional")) {
    extra.push(pl.col("executed_trades_notional").alias("fill_notional"));
  }
  if (present.has("fees")) extra.push(pl.col("fees").alias("fill_fees"));
  if (present.has("executed_trades_shares") && present.has("executed_trades_notional")) {
    extra.push(
      pl.when(pl.col("executed_trades_shares").neq(pl.lit(0)))
        .then(pl.col("executed_trades_notional").div(pl.col("executed_trades_shares")))
        .otherwise(pl.lit(NaN)).alias("fill_price"),
    );
  }
  const withFills = extra.length === 0 ? positions : positions.withColumns(...extra);
  const order = ["timestamp", "asset_id", ...POSITION_FRAME_COLUMNS].filter((c) =>
    withFills.columns.includes(c)
  );
  return withFills.select(...order);
}
