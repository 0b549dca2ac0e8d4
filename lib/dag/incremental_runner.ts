/**
 * `IncrementalRunner`: runs a (fitted) DAG one bar at a time, as production does. For the bar
 * ending at `t` it asks `MarketData` for the bars in `(t − lookbackBars·barMs, t]` known at the
 * clock's `now()` (the last `lookbackBars` bars, the current one included), runs `predict`, and keeps the sink's rows with `timestamp == t`. Driven
 * by a clock (`runBars`), it is the real-time loop of `simulate` and `run-prod`.
 */
import pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import type { MarketData } from "../sim/market_data.ts";
import { _formatBound, _timestamps } from "./_frame_time.ts";
import { _resultFrame } from "./_result_frame.ts";
import type { Dag } from "./dag.ts";
import { dagEndpoints } from "./dag_endpoints.ts";
import type { FrameSourceNode } from "./frame_source_node.ts";

/** Options of an `IncrementalRunner`. */
export interface IncrementalRunnerOptions {
  /**
   * Bars, the current one included, that the DAG's output at a bar depends on (the builder's
   * `lookbackBars`, the node library's convention): each step feeds the `lookbackBars` bar
   * periods ending at the current bar. A positive integer; required.
   */
  lookbackBars: number;
  /** Id of the source node to feed. Default: the DAG's only `FrameSourceNode` source. */
  sourceNodeId?: string;
  /** Id of the node whose `df_out` is the result. Default: the DAG's only sink. */
  sinkNodeId?: string;
}

/** Options of `IncrementalRunner.runBars`. */
export interface RunBarsOptions {
  /** Wait with `marketData.waitForLatestData(barEnd)` before each step. Default: true. */
  waitForData?: boolean;
  /** Timeout of each wait, ms of clock time. Default: `waitForLatestData`'s (3 bar periods). */
  timeoutMs?: number;
  /** Stops the loop (the wait rejects with `InterruptedError`). Default: none. */
  signal?: AbortSignal;
  /** Called after each bar with its rows (e.g. to process forecasts or stream them). Default: none. */
  onBar?: (barEnd: number, rows: pl.DataFrame) => void | Promise<void>;
}

/** Runs a DAG's `predict` bar by bar on data from `MarketData`. */
export class IncrementalRunner {
  /** The DAG run. */
  readonly dag: Dag;
  /** Where the bars come from (its clock gates what is known). */
  readonly marketData: MarketData;
  /** Bar periods (the current one included) fed to the DAG at each step. */
  readonly lookbackBars: number;
  /** Id of the node whose `df_out` is the result. */
  readonly sinkNodeId: string;
  readonly #source: FrameSourceNode;

  /** Creates the runner; the DAG should already be fitted (or have its fit states set). */
  constructor(dag: Dag, marketData: MarketData, options: IncrementalRunnerOptions) {
    if (!Number.isInteger(options.lookbackBars) || options.lookbackBars < 1) {
      throw new UsageError(
        `IncrementalRunner: lookbackBars must be a positive integer, got ${options.lookbackBars}`,
      );
    }
    this.dag = dag;
    this.marketData = marketData;
    this.lookbackBars = options.lookbackBars;
    const endpoints = dagEndpoints(dag, options);
    this.#source = endpoints.source;
    this.sinkNodeId = endpoints.sinkNodeId;
  }

  /**
   * Runs the DAG for the bar ending at `barEnd` and returns the sink's rows of that bar,
   * sorted by `asset_id` (no rows when no asset has the bar). `barEnd` past the clock's
   * `now()` throws `FuturePeekingError` (from `MarketData`).
   */
  step(barEnd: number): pl.DataFrame {
    const barMs = this.marketData.barMs;
    const bars = this.marketData.getData(barEnd - this.lookbackBars * barMs, barEnd);
    this.#source.setData(bars);
    this.#source.setPredictIntervals(null);
    const out = this.dag.runLeqNode(this.sinkNodeId, "predict", { barTimestamp: barEnd });
    const df = out["df_out"] as pl.DataFrame;
    const where = `DAG '${this.dag.name}' at bar ${_formatBound(barEnd)}`;
    if (!df.columns.includes("timestamp")) return _resultFrame(df, where); // throws
    // The rows of this bar: one contiguous block when the sink keeps the (timestamp, asset_id) order.
    const ts = _timestamps(df);
    let lo = -1;
    let hi = -1;
    let count = 0;
    for (let i = 0; i < ts.length; i++) {
      if (ts[i] !== barEnd) continue;
      if (lo < 0) lo = i;
      hi = i + 1;
      count++;
    }
    if (count === 0) return df.head(0);
    if (count !== hi - lo) {
      return _resultFrame(df.filter(pl.col("timestamp").cast(pl.Int64).eq(pl.lit(barEnd))), where);
    }
    return _resultFrame(df.slice(lo, hi - lo), where, ts.subarray(lo, hi));
  }

  /**
   * Steps every bar ending in `(start, end]` on the `barMs` grid, in order, waiting on the
   * market data's clock for each bar to be known; returns the concatenated rows.
   */
  async runBars(start: number, end: number, options: RunBarsOptions = {}): Promise<pl.DataFrame> {
    const barMs = this.marketData.barMs;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start > end) {
      throw new UsageError(
        `Cannot run bars in (${_formatBound(start)}, ${
          _formatBound(end)
        }]: need finite start <= end`,
      );
    }
    const parts: pl.DataFrame[] = [];
    for (let t = Math.floor(start / barMs) * barMs + barMs; t <= end; t += barMs) {
      if (options.waitForData ?? true) {
        const waitOptions: { timeoutMs?: number; signal?: AbortSignal } = {};
        if (options.timeoutMs !== undefined) waitOptions.timeoutMs = options.timeoutMs;
        if (options.signal !== undefined) waitOptions.signal = options.signal;
        await this.marketData.waitForLatestData(t, waitOptions);
      }
      const rows = this.step(t);
      parts.push(rows);
      await options.onBar?.(t, rows);
    }
    const nonEmpty = parts.filter((p) => p.height > 0);
    if (nonEmpty.length === 0) return parts[0] ?? this.#emptyResult();
    return nonEmpty.length === 1 ? nonEmpty[0] as pl.DataFrame : pl.concat(nonEmpty);
  }

  #emptyResult(): pl.DataFrame {
    try {
      return this.dag.getOutput(this.sinkNodeId, "predict").head(0);
    } catch {
      return pl.DataFrame([
        pl.Series("timestamp", [], pl.Datetime("ms", "UTC")),
        pl.Series("asset_id", [], pl.Int64),
      ]);
    }
  }
}
