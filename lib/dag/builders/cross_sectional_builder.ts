/**
 * `cross_sectional`: the multi-asset model in the spirit of the original DataFlow "mock1":
 * resample → returns → EWMA volatility → volatility-adjusted returns → tail compression →
 * lags → weighted sum of lags → cross-sectional demean.
 */
import { Config } from "../../config/mod.ts";
import { Dag } from "../dag.ts";
import { DagBuilderBase, type DagColumnNames } from "../dag_builder.ts";
import {
  AdjustedReturnsNode,
  type AdjustedReturnsNodeConfig,
  CompressTailsNode,
  type CompressTailsNodeConfig,
  CrossSectionalDemeanNode,
  type CrossSectionalDemeanNodeConfig,
  LagsNode,
  type LagsNodeConfig,
  ResampleNode,
  type ResampleNodeConfig,
  ReturnsNode,
  type ReturnsNodeConfig,
  VolatilityNode,
  type VolatilityNodeConfig,
  WeightedSumNode,
  type WeightedSumNodeConfig,
} from "../nodes/mod.ts";
import { _addChain, _nodeOptions } from "./_chain.ts";

/**
 * Config sections (each a node's template): `resample` (period 5m = the bar period: no
 * resampling by default), `returns`, `volatility` (tau 32, window 100), `adj_returns` (ret /
 * vol of the previous bar), `compress` (scale 4), `lags` (3 lags of the adjusted return),
 * `predict` (weights −1, −0.5, −0.25: short-term mean reversion), `demean` (prediction minus
 * its cross-sectional mean at each bar).
 */
export class CrossSectionalBuilder extends DagBuilderBase {
  /** `cross_sectional`. */
  readonly name = "cross_sectional";
  /** One line for listings. */
  readonly description =
    "multi-asset mean reversion: vol-adjusted return lags, weighted sum, cross-sectionally demeaned";

  /** The nodes' templates, with the model's defaults. */
  configTemplate(): Config {
    return Config.fromObject({
      resample: { ...ResampleNode.configTemplate, period: "5m" },
      returns: { ...ReturnsNode.configTemplate },
      volatility: { ...VolatilityNode.configTemplate, window: 100 },
      adj_returns: { ...AdjustedReturnsNode.configTemplate },
      compress: { ...CompressTailsNode.configTemplate },
      lags: { ...LagsNode.configTemplate },
      predict: {
        in_cols: ["ret_0_vol_adj_lag_0", "ret_0_vol_adj_lag_1", "ret_0_vol_adj_lag_2"],
        weights: [-1, -0.5, -0.25],
        out_col: "raw_prediction",
      },
      demean: { in_col: "raw_prediction", out_col: "prediction" },
    });
  }

  /** The chain's lookback in source bars. */
  lookbackBars(config: Config): number {
    return _addChain(new Dag("lookback"), this.#nodes(config.copy()));
  }

  /** price `close`, volatility `vol`, prediction `prediction` (or the configured columns). */
  columnNames(config: Config): DagColumnNames {
    return {
      price: "close",
      volatility: config.getString(["volatility", "out_col"]),
      prediction: config.getString(["demean", "out_col"]),
    };
  }

  /** Adds the chain. */
  protected addNodes(dag: Dag, config: Config): void {
    _addChain(dag, this.#nodes(config));
  }

  #nodes(config: Config) {
    return [
      new ResampleNode("resample", _nodeOptions<ResampleNodeConfig>(config, "resample")),
      new ReturnsNode("returns", _nodeOptions<ReturnsNodeConfig>(config, "returns")),
      new VolatilityNode("volatility", _nodeOptions<VolatilityNodeConfig>(config, "volatility")),
      new AdjustedReturnsNode(
        "adj_returns",
        _nodeOptions<AdjustedReturnsNodeConfig>(config, "adj_returns"),
      ),
      new CompressTailsNode("compress", _nodeOptions<CompressTailsNodeConfig>(config, "compress")),
      new LagsNode("lags", _nodeOptions<LagsNodeConfig>(config, "lags")),
      new WeightedSumNode("predict", _nodeOptions<WeightedSumNodeConfig>(config, "predict")),
      new CrossSectionalDemeanNode(
        "demean",
        _nodeOptions<CrossSectionalDemeanNodeConfig>(config, "demean"),
      ),
    ];
  }
}
