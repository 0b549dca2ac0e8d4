/**
 * `FitPredictRunner`: runs a DAG's `fit` and `predict` over time intervals of a bars frame
 * held in memory (research, backtest tiles). Intervals are `(a, b]` on bar ends. `predict`
 * feeds the builder's lookback warm-up before `a` and keeps only the rows in `(a, b]`.
 */
import type pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import { _formatBound, _sliceInterval, _timestamps } from "./_frame_time.ts";
import { _inferBarMs, _resultFrame } from "./_result_frame.ts";
import type { Dag } from "./dag.ts";
import { dagEndpoints } from "./dag_endpoints.ts";
import type { FrameSourceNode } from "./frame_source_node.ts";

/** Options of a `FitPredictRunner`. */
export interface FitPredictRunnerOptions {
  /** The bars (long format, sorted by `(timestamp, asset_id)`) covering every interval run. */
  bars: pl.DataFrame;
  /**
   * Warm-up bars fed before a predict interval: predict on `(a, b]` runs the DAG on
   * `(a − lookbackBars·barMs, b]`. Pass the builder's `lookbackBars` (bars the output at a bar
   * depends on, the current one included; one bar more than strictly needed is fed). Default: 0.
   */
  lookbackBars?: number;
  /** The bar period in ms. Default: the smallest step between the bars' timestamps. */
  barMs?: number;
  /** Id of the source node to feed. Default: the DAG's only `FrameSourceNode` source. */
  sourceNodeId?: string;
  /** Id of the node whose `df_out` is the result. Default: the DAG's only sink. */
  sinkNodeId?: string;
}

/**
 * Runs `fit` / `predict` of a DAG over intervals. Every result is a RESULT FRAME: the sink's
 * `df_out`, long format, sorted by `(timestamp, asset_id)`.
 */
export class FitPredictRunner {
  /** The DAG run. */
  readonly dag: Dag;
  /** Warm-up bars fed before a predict interval. */
  readonly lookbackBars: number;
  /** Id of the node whose `df_out` is the result. */
  readonly sinkNodeId: string;
  readonly #source: FrameSourceNode;
  readonly #barMs: number | undefined;
  #bars!: pl.DataFrame;
  #inferredBarMs: number | undefined;

  /** Creates the runner over `options.bars`. */
  constructor(dag: Dag, options: FitPredictRunnerOptions) {
    this.dag = dag;
    const endpoints = dagEndpoints(dag, options);
    this.#source = endpoints.source;
    this.sinkNodeId = endpoints.sinkNodeId;
    this.lookbackBars = options.lookbackBars ?? 0;
    if (!Number.isInteger(this.lookbackBars) || this.lookbackBars < 0) {
      throw new UsageError(
        `FitPredictRunner: lookbackBars must be a non-negative integer, got ${this.lookbackBars}`,
      );
    }
    this.#barMs = options.barMs;
    this.setBars(options.bars);
  }

  /** Replaces the bars the runner serves (same contract as `options.bars`). */
  setBars(bars: pl.DataFrame): void {
    this.#source.setData(bars);
    this.#bars = bars;
    this.#inferredBarMs = undefined;
  }

  /** The bar period: `options.barMs`, else inferred from the bars. */
  get barMs(): number {
    if (this.#barMs !== undefined) return this.#barMs;
    this.#inferredBarMs ??= _inferBarMs(_timestamps(this.#bars), `DAG '${this.dag.name}'`);
    return this.#inferredBarMs;
  }

  /** The warm-up before a predict interval, ms (`lookbackBars · barMs`). */
  get warmupMs(): number {
    return this.lookbackBars === 0 ? 0 : this.lookbackBars * this.barMs;
  }

  /**
   * Fits the DAG on the bars in `(a, b]` (no warm-up: fitting nodes drop the rows whose
   * features are incomplete) and returns the `fit` result frame.
   */
  fit(a: number, b: number): pl.DataFrame {
    _checkInterval(a, b, "fit");
    this.#source.setFitIntervals([[a, b]]);
    const out = this.dag.runLeqNode(this.sinkNodeId, "fit");
    return _resultFrame(out["df_out"] as pl.DataFrame, `DAG '${this.dag.name}' fit`);
  }

  /**
   * Predicts on `(a, b]`: runs `predict` on the bars in `(a − warmupMs, b]` and returns the
   * result frame restricted to `timestamp` in `(a, b]`.
   */
  predict(a: number, b: number): pl.DataFrame {
    _checkInterval(a, b, "predict");
    this.#source.setPredictIntervals([[a - this.warmupMs, b]]);
    const out = this.dag.runLeqNode(this.sinkNodeId, "predict");
    const result = _resultFrame(out["df_out"] as pl.DataFrame, `DAG '${this.dag.name}' predict`);
    if (a === -Infinity && b === Infinity && _isDatetime(result)) {
      return result.slice(0, result.height); // every (finite) bar end is in (−inf, +inf]
    }
    return _sliceInterval(result, _timestamps(result), a, b);
  }

  /** The bars served, as given. */
  get bars(): pl.DataFrame {
    return this.#bars;
  }
}

function _isDatetime(df: pl.DataFrame): boolean {
  return String(df.getColumn("timestamp").dtype).includes("Datetime(");
}

function _checkInterval(a: number, b: number, method: string): void {
  if (Number.isNaN(a) || Number.isNaN(b) || a > b) {
    throw new UsageError(
      `Cannot ${method} on (${_formatBound(a)}, ${
        _formatBound(b)
      }]: the interval start must not be after its end`,
    );
  }
}
