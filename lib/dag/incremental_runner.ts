/**
 * `IncrementalRunner`: runs a (fitted) DAG one bar at a time, as production does. For the bar
 * ending at `t` it asks `MarketData` for the bars in `(t − lookbackBars·barMs, t]` known at the
 * clock's `now()` (the last `lookbackBars` bars, the current one included), runs `predict`, and keeps the sink's rows with `timestamp == t`. Driven
 * by a clock (`runBars`), it is the real-time loop of `simulate` and `run-prod`.
 */
import pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
import type { MarketData } from "../sim/market_data.ts";
import { _formatBound } from "./_frame_time.ts";
import { _requireResultKeys } from "./_result_frame.ts";
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
    return this.stepColumns(barEnd).toPolars();
  }

  /**
   * `step` as a JS column frame: with market data that serves `getColumns` and nodes that
   * compute on column frames (the node library's), a step makes no Polars call.
   */
  stepColumns(barEnd: number): ColumnFrame {
    const md = this.marketData;
    const start = barEnd - this.lookbackBars * md.barMs;
    const bars = md.getColumns?.(start, barEnd) ??
      ColumnFrame.fromPolars(md.getData(start, barEnd));
    this.#source.setData(bars);
    this.#source.setPredictIntervals(null);
    const out = this.dag.runLeqNodeColumns(this.sinkNodeId, "predict", { barTimestamp: barEnd });
    const df = out["df_out"] as ColumnFrame;
    if (!df.has("timestamp") || !df.has("asset_id")) {
      _requireResultKeys(df.columns, `DAG '${this.dag.name}' at bar ${_formatBound(barEnd)}`);
    }
    // The rows of this bar: one contiguous block when the sink keeps the (timestamp, asset_id) order.
    const ts = df.values("timestamp");
    const ids = df.values("asset_id");
    const rows: number[] = [];
    for (let i = 0; i < ts.length; i++) if (ts[i] === barEnd) rows.push(i);
    let contiguous = true;
    let sorted = true;
    for (let k = 1; k < rows.length; k++) {
      if (rows[k] !== (rows[k - 1] as number) + 1) contiguous = false;
      if (!((ids[rows[k] as number] as number) > (ids[rows[k - 1] as number] as number))) {
        sorted = false;
      }
    }
    if (!sorted) rows.sort((a, b) => (ids[a] as number) - (ids[b] as number));
    if (contiguous && sorted) return df.slice(rows[0] ?? 0, rows.length);
    return df.gather(rows);
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
