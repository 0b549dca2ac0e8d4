/**
 * `buildFittedDag`: the one way every mode (backtest tiles, causality check, simulate,
 * run-prod) turns a builder and a config into a DAG ready to predict: build it, and when the
 * model has a fit window, fit it once on that window of the given bars.
 */
import type pl from "nodejs-polars";
import type { Config } from "../config/mod.ts";
import { DataError } from "../errors/mod.ts";
import { formatTime } from "../sim/mod.ts";
import type { Dag, DagOptions } from "./dag.ts";
import type { DagBuilder } from "./dag_builder.ts";
import { FitPredictRunner } from "./fit_predict_runner.ts";

/** Options of `buildFittedDag`. */
export interface BuildFittedDagOptions {
  /** Bars covering the builder's fit window (needed only when it has one). Default: none. */
  bars?: pl.DataFrame;
  /** The bar period in ms. Default: inferred from the bars. */
  barMs?: number;
  /** Options passed to the `Dag` (node IO dumps, timer). Default: none. */
  dagOptions?: DagOptions;
}

/** Builds the builder's DAG from `config` and fits it on its fit window when it has one. */
export function buildFittedDag(
  builder: DagBuilder,
  config: Config,
  options: BuildFittedDagOptions = {},
): Dag {
  const dag = builder.build(config, options.dagOptions ?? {});
  const interval = builder.fitInterval(config);
  if (interval === undefined) return dag;
  const [start, end] = interval;
  const bars = options.bars;
  if (bars === undefined || bars.height === 0) {
    throw new DataError(
      `DAG '${builder.name}' must be fitted on (${formatTime(start)}, ${
        formatTime(end)
      }] but no bars were given`,
    );
  }
  const runner = new FitPredictRunner(
    dag,
    options.barMs === undefined ? { bars } : { bars, barMs: options.barMs },
  );
  const fitted = runner.fit(start, end);
  if (fitted.height === 0) {
    throw new DataError(
      `DAG '${builder.name}': no bars in its fit window (${formatTime(start)}, ${
        formatTime(end)
      }]; ` +
        `set fit.start/fit.end inside the data`,
    );
  }
  return dag;
}
