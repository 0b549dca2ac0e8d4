/** `sma_cross`: the 10/50 SMA crossover, long/flat — the cross-check model against other backtesters. */
import { Config } from "../../config/mod.ts";
import { Dag } from "../dag.ts";
import { DagBuilderBase, type DagColumnNames } from "../dag_builder.ts";
import {
  ReturnsNode,
  type ReturnsNodeConfig,
  SmaCrossNode,
  type SmaCrossNodeConfig,
  VolatilityNode,
  type VolatilityNodeConfig,
} from "../nodes/mod.ts";
import { _addChain, _nodeOptions } from "./_chain.ts";

/**
 * source → `sma` (SmaCrossNode: SMA fast/slow of close, prediction = 1 when fast > slow at
 * the bar's close, else 0) → `returns` → `volatility` (so longitudinal and cross-sectional
 * styles can size it too). Config sections are the nodes' templates: `sma.fast` (10),
 * `sma.slow` (50), `sma.in_col` (close), `returns.mode`, `volatility.tau`, `volatility.window`.
 */
export class SmaCrossBuilder extends DagBuilderBase {
  /** `sma_cross`. */
  readonly name = "sma_cross";
  /** One line for listings. */
  readonly description = "10/50 SMA crossover on close, long (1) / flat (0)";

  /** `{sma, returns, volatility}` with the nodes' defaults. */
  configTemplate(): Config {
    return Config.fromObject({
      sma: { ...SmaCrossNode.configTemplate },
      returns: { ...ReturnsNode.configTemplate },
      volatility: { ...VolatilityNode.configTemplate, window: 100 },
    });
  }

  /** The chain's lookback: max(fast, slow) for the signal, the volatility window after returns. */
  lookbackBars(config: Config): number {
    return _addChain(new Dag("lookback"), this.#nodes(config.copy()));
  }

  /** price `close`, volatility `vol`, prediction `prediction` (or the configured columns). */
  columnNames(config: Config): DagColumnNames {
    return {
      price: config.getString(["sma", "in_col"]),
      volatility: config.getString(["volatility", "out_col"]),
      prediction: config.getString(["sma", "out_col"]),
    };
  }

  /** Adds source → sma → returns → volatility. */
  protected addNodes(dag: Dag, config: Config): void {
    _addChain(dag, this.#nodes(config));
  }

  #nodes(config: Config) {
    return [
      new SmaCrossNode("sma", _nodeOptions<SmaCrossNodeConfig>(config, "sma")),
      new ReturnsNode("returns", _nodeOptions<ReturnsNodeConfig>(config, "returns")),
      new VolatilityNode("volatility", _nodeOptions<VolatilityNodeConfig>(config, "volatility")),
    ];
  }
}
