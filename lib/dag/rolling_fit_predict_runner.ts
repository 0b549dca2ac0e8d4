/**
 * `RollingFitPredictRunner`: walk-forward fit/predict. At each refit time `t` it fits the DAG
 * on the bars in `(t − fitLookbackMs, t]` (bars ending by `t`, all known at `t`), then predicts
 * the next period `(t, t_next]` with the lookback warm-up, and concatenates the predictions.
 * The fit states of every refit are returned and optionally saved as JSON.
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { DagtradeError, UsageError } from "../errors/mod.ts";
import { atomicWriteSync } from "../fs/mod.ts";
import { formatTime } from "../sim/bar_schema.ts";
import { _formatBound } from "./_frame_time.ts";
import type { Dag } from "./dag.ts";
import { fileTimestamp } from "./dag.ts";
import { FitPredictRunner, type FitPredictRunnerOptions } from "./fit_predict_runner.ts";
import type { JsonValue } from "./node.ts";

/** Options of a `RollingFitPredictRunner` (plus those of `FitPredictRunner`). */
export interface RollingFitPredictRunnerOptions extends FitPredictRunnerOptions {
  /**
   * How often to refit: a period in ms (refits at `start`, `start + freq`, ...) or `"month"`
   * (refits at `start`, then at every UTC calendar month start after it). Required.
   */
  retrainFreq: number | "month";
  /** Length of the fit window in ms: a refit at `t` fits on `(t − fitLookbackMs, t]`. Required. */
  fitLookbackMs: number;
  /**
   * Directory to save every refit's fit states into, as `<dir>/fit_states/<fitTime>.json`
   * (`fitTime` like `20250103T000000Z`). Default: not saved.
   */
  outputDir?: string;
}

/** The fit states learned at one refit. */
export interface RollingFitState {
  /** The refit time `t`, epoch ms. */
  readonly fitTime: number;
  /** The fit window `(start, end]` = `(t − fitLookbackMs, t]`, epoch ms. */
  readonly fitInterval: readonly [number, number];
  /** The predict period `(t, next refit]` these states were used for, epoch ms. */
  readonly predictInterval: readonly [number, number];
  /** `Dag.getFitStates()` after the fit. */
  readonly states: Record<string, JsonValue>;
}

/** What `RollingFitPredictRunner.run` returns. */
export interface RollingFitPredictResult {
  /** The concatenated predictions over `(start, end]`: a result frame. */
  readonly result: pl.DataFrame;
  /** One entry per refit, in time order. */
  readonly fitStates: RollingFitState[];
}

/** Walk-forward refit-and-predict over a bars frame. */
export class RollingFitPredictRunner {
  /** The fit/predict runner used for every period. */
  readonly runner: FitPredictRunner;
  readonly #retrainFreq: number | "month";
  readonly #fitLookbackMs: number;
  readonly #outputDir: string | undefined;

  /** Creates the runner over `options.bars`. */
  constructor(dag: Dag, options: RollingFitPredictRunnerOptions) {
    const freq = options.retrainFreq;
    if (freq !== "month" && !(Number.isFinite(freq) && freq > 0)) {
      throw new UsageError(
        `RollingFitPredictRunner: retrainFreq must be a positive number of ms or "month", got ${freq}`,
      );
    }
    if (!(Number.isFinite(options.fitLookbackMs) && options.fitLookbackMs > 0)) {
      throw new UsageError(
        `RollingFitPredictRunner: fitLookbackMs must be a positive number of ms, got ${options.fitLookbackMs}`,
      );
    }
    this.runner = new FitPredictRunner(dag, options);
    this.#retrainFreq = freq;
    this.#fitLookbackMs = options.fitLookbackMs;
    this.#outputDir = options.outputDir;
  }

  /** The DAG run. */
  get dag(): Dag {
    return this.runner.dag;
  }

  /** The refit times for a run over `(start, end]`: `start`, then every period, each `< end`. */
  refitTimes(start: number, end: number): number[] {
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
      throw new UsageError(
        `Cannot run a rolling fit/predict on (${_formatBound(start)}, ${
          _formatBound(end)
        }]: need finite start < end`,
      );
    }
    const times: number[] = [];
    for (let t = start; t < end; t = this.#next(t)) times.push(t);
    return times;
  }

  /** Refits and predicts period by period over `(start, end]`. */
  run(start: number, end: number): RollingFitPredictResult {
    const times = this.refitTimes(start, end);
    const parts: pl.DataFrame[] = [];
    const fitStates: RollingFitState[] = [];
    times.forEach((t, k) => {
      const next = Math.min(times[k + 1] ?? end, end);
      const fitInterval = [t - this.#fitLookbackMs, t] as const;
      this.runner.fit(fitInterval[0], fitInterval[1]);
      const entry: RollingFitState = {
        fitTime: t,
        fitInterval,
        predictInterval: [t, next],
        states: structuredClone(this.dag.getFitStates()),
      };
      fitStates.push(entry);
      if (this.#outputDir !== undefined) this.#save(this.#outputDir, entry);
      parts.push(this.runner.predict(t, next));
    });
    const nonEmpty = parts.filter((p) => p.height > 0);
    const result = nonEmpty.length === 0
      ? (parts[0] as pl.DataFrame)
      : nonEmpty.length === 1
      ? (nonEmpty[0] as pl.DataFrame)
      : pl.concat(nonEmpty);
    return { result, fitStates };
  }

  #next(t: number): number {
    if (this.#retrainFreq !== "month") return t + this.#retrainFreq;
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }

  #save(dir: string, entry: RollingFitState): void {
    const path = join(dir, "fit_states", `${fileTimestamp(entry.fitTime)}.json`);
    const json = {
      fit_time: formatTime(entry.fitTime),
      fit_interval: entry.fitInterval.map(formatTime),
      predict_interval: entry.predictInterval.map(formatTime),
      states: entry.states,
    };
    try {
      atomicWriteSync(path, JSON.stringify(json, null, 2) + "\n");
    } catch (error) {
      throw new DagtradeError(
        `Cannot save fit states to ${path}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }
}
