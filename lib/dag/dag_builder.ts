/**
 * `DagBuilder` (DESIGN §6): a named model. It gives a config template (with `DUMMY`s for the
 * values a user must fill), builds its `Dag` from a filled config, and says how much history
 * the DAG needs and which result-frame columns hold price, volatility and prediction.
 * `DagBuilderBase` implements the common `build` checks.
 */
import { DagtradeError } from "../errors/mod.ts";
import { Dag, type DagOptions } from "./dag.ts";
import { dagEndpoints } from "./dag_endpoints.ts";
import type { Config } from "../config/mod.ts";
import type { TimeInterval } from "./frame_source_node.ts";

/** The result-frame columns a builder's DAG produces, by role. */
export interface DagColumnNames {
  /** The price column (what positions are valued at, e.g. `close`). */
  readonly price: string;
  /** The volatility column (risk scaling of targets). */
  readonly volatility: string;
  /** The prediction column (the forecast for the return over `(t, t+1]` bars). */
  readonly prediction: string;
}

/** A model: config template → DAG, plus what runners and the forecast evaluator need to know. */
export interface DagBuilder {
  /** Registry name, e.g. `sma_cross` (`--dag sma_cross`). */
  readonly name: string;
  /** One line for `--help` and listings. */
  readonly description: string;
  /** A fresh config template; values the user must fill are `DUMMY`. */
  configTemplate(): Config;
  /**
   * Builds the DAG: one `FrameSourceNode` source fed with bars and one sink whose `df_out` is
   * the result frame. Throws `ConfigError` on a config that still holds `DUMMY`; marks the keys
   * it uses. `options` are passed to the `Dag` (node IO dumps, timer).
   */
  build(config: Config, options?: DagOptions): Dag;
  /**
   * Bars of history, the current one included, that the DAG's output at a bar depends on
   * (warm-up of tiles and predict intervals; window of incremental runs).
   */
  lookbackBars(config: Config): number;
  /** The names of the price / volatility / prediction columns in the result frame. */
  columnNames(config: Config): DagColumnNames;
  /**
   * The `(start, end]` window of bar ends a model with fitted state is fitted on, once, before
   * it predicts (see `buildFittedDag`); `undefined` for models with nothing to fit.
   */
  fitInterval(config: Config): TimeInterval | undefined;
}

/**
 * Base class of builders: `build` rejects unfilled configs (`config.checkFilled()`), creates
 * the `Dag` named after the builder, lets `addNodes` fill it, and checks that it has exactly
 * one `FrameSourceNode` source and one sink.
 */
export abstract class DagBuilderBase implements DagBuilder {
  /** Registry name. */
  abstract readonly name: string;
  /** One-line description. */
  abstract readonly description: string;
  /** A fresh config template. */
  abstract configTemplate(): Config;
  /** Lookback in bars, current bar included. */
  abstract lookbackBars(config: Config): number;
  /** Result-frame column names by role. */
  abstract columnNames(config: Config): DagColumnNames;

  /** No fit window by default (stateless models). */
  fitInterval(_config: Config): TimeInterval | undefined {
    return undefined;
  }

  /** Adds and connects the nodes of the model to `dag`, reading (and marking) `config`. */
  protected abstract addNodes(dag: Dag, config: Config): void;

  /** Checks the config is filled, builds the DAG and checks its shape. */
  build(config: Config, options: DagOptions = {}): Dag {
    config.checkFilled();
    const dag = new Dag(this.name, options);
    this.addNodes(dag, config);
    try {
      dagEndpoints(dag);
    } catch (error) {
      throw new DagtradeError(
        `Builder '${this.name}' built a malformed DAG: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    return dag;
  }
}
