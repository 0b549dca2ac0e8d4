/**
 * `ridge`: a model with a fitted state — ridge regression of the next bar's return on lags of
 * volatility-adjusted returns, pooled across assets.
 */
import { Config, DUMMY } from "../../config/mod.ts";
import { parseTime } from "../../sim/mod.ts";
import { Dag } from "../dag.ts";
import { DagBuilderBase, type DagColumnNames } from "../dag_builder.ts";
import type { TimeInterval } from "../frame_source_node.ts";
import {
  AdjustedReturnsNode,
  type AdjustedReturnsNodeConfig,
  CompressTailsNode,
  type CompressTailsNodeConfig,
  LagsNode,
  type LagsNodeConfig,
  ReturnsNode,
  type ReturnsNodeConfig,
  RidgeNode,
  type RidgeNodeConfig,
  VolatilityNode,
  type VolatilityNodeConfig,
} from "../nodes/mod.ts";
import { _addChain, _nodeOptions } from "./_chain.ts";

/**
 * Config sections: `returns`, `volatility`, `adj_returns`, `compress`, `lags` (5 lags),
 * `ridge` (alpha 10, target `ret_0` one bar ahead), and `fit.start` / `fit.end` — the `(start,
 * end]` window of bar ends the model is fitted on, once, before any prediction. They are
 * `DUMMY` in the template: set them, e.g. `--set fit.start=2025-01-06 --set fit.end=2025-01-20`.
 */
export class RidgeBuilder extends DagBuilderBase {
  /** `ridge`. */
  readonly name = "ridge";
  /** One line for listings. */
  readonly description =
    "ridge regression of the next return on vol-adjusted return lags (fitted once on fit.start..fit.end)";

  /** The nodes' templates; `fit.start` and `fit.end` are DUMMY. */
  configTemplate(): Config {
    const lags = { ...LagsNode.configTemplate, n_lags: 5 };
    const features = Array.from({ length: lags.n_lags }, (_, i) => `ret_0_vol_adj_lag_${i}`);
    return Config.fromObject({
      fit: { start: DUMMY, end: DUMMY },
      returns: { ...ReturnsNode.configTemplate },
      volatility: { ...VolatilityNode.configTemplate, window: 100 },
      adj_returns: { ...AdjustedReturnsNode.configTemplate },
      compress: { ...CompressTailsNode.configTemplate },
      lags,
      ridge: { ...RidgeNode.configTemplate, features, alpha: 10 },
    });
  }

  /** The chain's lookback in bars. */
  lookbackBars(config: Config): number {
    return _addChain(new Dag("lookback"), this.#nodes(config.copy()));
  }

  /** price `close`, volatility `vol`, prediction `prediction` (or the configured columns). */
  columnNames(config: Config): DagColumnNames {
    return {
      price: "close",
      volatility: config.getString(["volatility", "out_col"]),
      prediction: config.getString(["ridge", "out_col"]),
    };
  }

  /** The fit window `(fit.start, fit.end]` (UTC dates or times). */
  override fitInterval(config: Config): TimeInterval {
    config.checkFilled();
    const start = parseTime(String(config.getAndMarkAsUsed(["fit", "start"])), "fit.start");
    const end = parseTime(String(config.getAndMarkAsUsed(["fit", "end"])), "fit.end");
    return [start, end];
  }

  /** Adds the chain. */
  protected addNodes(dag: Dag, config: Config): void {
    _addChain(dag, this.#nodes(config));
  }

  #nodes(config: Config) {
    return [
      new ReturnsNode("returns", _nodeOptions<ReturnsNodeConfig>(config, "returns")),
      new VolatilityNode("volatility", _nodeOptions<VolatilityNodeConfig>(config, "volatility")),
      new AdjustedReturnsNode(
        "adj_returns",
        _nodeOptions<AdjustedReturnsNodeConfig>(config, "adj_returns"),
      ),
      new CompressTailsNode("compress", _nodeOptions<CompressTailsNodeConfig>(config, "compress")),
      new LagsNode("lags", _nodeOptions<LagsNodeConfig>(config, "lags")),
      new RidgeNode("ridge", _nodeOptions<RidgeNodeConfig>(config, "ridge")),
    ];
  }
}
