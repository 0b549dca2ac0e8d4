/**
 * `planBacktest`: everything a backtest process needs before it runs a tile, derived
 * deterministically from the effective config and the data — the builder and its config
 * (checked by a dry build), the resolved symbols, the range checked against the data, the
 * tiles, and the content hash that decides whether a finished tile is still valid. The parent,
 * every worker, every shard and the merge step plan the same way and get the same tiles.
 */
import { createHash } from "node:crypto";
import { type Config, resolveUniverse } from "../config/mod.ts";
import { ConfigError, DataError, UsageError } from "../errors/mod.ts";
import {
  CrossSectionalDemeanNode,
  CrossSectionalRankNode,
  type Dag,
  type DagBuilder,
  type DagColumnNames,
  getBuilder,
  type TimeInterval,
} from "../dag/mod.ts";
import { assetIdOf, formatTimeframe, resolveFullSymbols } from "../sim/mod.ts";
import { type BacktestData, describeBacktestData } from "./backtest_data.ts";
import {
  BACKTEST_DEFAULTS,
  type BacktestSettings,
  readBacktestSettings,
} from "./backtest_settings.ts";
import { planTiles, type Tile } from "./tile_plan.ts";
import { _formatRange } from "./_format.ts";

/** A planned backtest. */
export interface BacktestPlan {
  /** The effective config. */
  readonly config: Config;
  /** Its typed `backtest` part. */
  readonly settings: BacktestSettings;
  /** The model's builder. */
  readonly builder: DagBuilder;
  /** The builder's config (`config.dag`); copy it before building. */
  readonly dagConfig: Config;
  /** The data source. */
  readonly data: BacktestData;
  /** The backtest's full symbols, in ascending asset id order. */
  readonly fullSymbols: readonly string[];
  /** Their asset ids, ascending. */
  readonly assetIds: readonly number[];
  /** The builder's lookback (warm-up bars loaded before each tile). */
  readonly lookbackBars: number;
  /** The result-frame columns holding price, volatility and prediction. */
  readonly columns: DagColumnNames;
  /** The builder's fit window, when the model is fitted. */
  readonly fitInterval: TimeInterval | undefined;
  /** The tiles, in plan order. */
  readonly tiles: readonly Tile[];
  /** SHA-256 of what decides tile contents: builder, its config, the data, the fit assets. */
  readonly contentHash: string;
  /** Leaves of the model's config its builder did not read, as dotted keys (`dag.x.y`). */
  readonly unusedKeys: readonly string[];
}

/** Options of `planBacktest`. */
export interface PlanBacktestOptions {
  /** Check the snapshot's sha256 against its meta file. Default: true. */
  verifyData?: boolean;
  /** Where universes live (backtest-config strings). Default: the repository's `fixtures/universes`. */
  universeDir?: string | undefined;
}

/**
 * Plans the backtest of the effective config `config` (see the module documentation). Bad
 * settings, unknown keys outside `dag.*`, an unknown dag, symbols or a range not in the data,
 * and asset tiles on a cross-sectional model are errors with exit code 2. Marks the config's
 * leaves as used.
 */
export async function planBacktest(
  config: Config,
  options: PlanBacktestOptions = {},
): Promise<BacktestPlan> {
  const settings = readBacktestSettings(config);
  const builder = getBuilder(settings.dagBuilder);
  const dagConfig = config.getConfig("dag", { markAsUsed: true });
  const unknown = config.unusedLeaves();
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown config keys: ${
        unknown.join(", ")
      }; the backtest reads dag_builder, dag.* (the model) ` +
        `and backtest.* (${Object.keys(BACKTEST_DEFAULTS).join(", ")})`,
    );
  }
  const dummies = dagConfig.dummyKeys().map((k) => `dag.${k}`);
  if (dummies.length > 0) {
    throw new ConfigError(
      `The config of dag '${builder.name}' has unfilled values: ${
        dummies.join(", ")
      }; set them with ` +
        `--set ${dummies[0]}=<value> (or in a --config file)`,
    );
  }
  // A dry build checks the config (bad values) before any data is read.
  const probe = dagConfig.copy();
  let dag: Dag;
  let lookbackBars: number;
  let columns: DagColumnNames;
  let fitInterval: TimeInterval | undefined;
  try {
    dag = builder.build(probe);
    lookbackBars = builder.lookbackBars(dagConfig.copy());
    columns = builder.columnNames(dagConfig.copy());
    fitInterval = builder.fitInterval(probe);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `Cannot build dag '${builder.name}': ${error.message} (the model's keys are under 'dag.' ` +
        `in the backtest config, e.g. --set dag.<key>=<value>)`,
      { cause: error },
    );
  }
  const unusedKeys = probe.unusedLeaves().map((k) => `dag.${k}`);

  const data = await describeBacktestData(settings.data, { verify: options.verifyData ?? true });
  const source = `${data.kind === "store" ? "store" : "snapshot"} ${data.path}`;
  if (settings.barMs !== undefined && settings.barMs !== data.barMs) {
    throw new UsageError(
      `Backtest config '${settings.backtestConfig}' trades ${
        formatTimeframe(settings.barMs)
      } bars but ${source} holds ${formatTimeframe(data.barMs)} bars; ` +
        `use a backtest config with period ${
          formatTimeframe(data.barMs)
        } (resampling is the DAG's job)`,
    );
  }
  let requested: readonly string[];
  if (settings.symbols !== undefined) requested = settings.symbols;
  else if (settings.universe !== undefined) {
    const u = settings.universe;
    requested = await resolveUniverse(
      { universe: u.name, top: u.top, text: u.text },
      options.universeDir === undefined ? {} : { dir: options.universeDir },
    );
  } else requested = data.symbols;
  const fullSymbols = resolveFullSymbols(requested, data.symbols, { source })
    .sort((a, b) => assetIdOf(a) - assetIdOf(b));
  const assetIds = fullSymbols.map(assetIdOf);

  const { start, end } = settings;
  if (data.first === undefined || data.last === undefined) {
    throw new DataError(`Cannot backtest on ${source}: it holds no bars`);
  }
  const covered = { start: data.first - data.barMs, end: data.last };
  if (start < covered.start || end > covered.end) {
    throw new DataError(
      `The backtest range ${
        _formatRange(start, end)
      } is outside the data: ${source} covers bar ends ` +
        `${
          _formatRange(covered.start, covered.end)
        }; choose --start/--end (or a backtest config) inside it`,
    );
  }
  const crossSectional = dag.nodeIds().map((id) => dag.getNode(id)).find((node) =>
    node instanceof CrossSectionalDemeanNode || node instanceof CrossSectionalRankNode
  );
  const tileSize = settings.assetTileSize;
  if (crossSectional !== undefined && tileSize !== undefined && tileSize < assetIds.length) {
    throw new UsageError(
      `--asset-tile-size ${tileSize} would split the assets of dag '${builder.name}', whose node ` +
        `'${crossSectional.id}' is cross-sectional (its output at a bar depends on every asset); ` +
        `drop --asset-tile-size for this model`,
    );
  }
  const tiles = planTiles({ start, end }, assetIds, {
    tileFreq: settings.tileFreq,
    assetTileSize: tileSize,
  });
  const content = {
    format: 1,
    dag_builder: builder.name,
    dag: dagConfig.toJSON(),
    data: { path: data.path, sha256: data.sha256 ?? null, bar_ms: data.barMs },
    lookback_bars: lookbackBars,
    // A fitted model is fitted on every asset of the backtest: they decide every tile.
    fit: fitInterval === undefined ? null : { interval: [...fitInterval], asset_ids: assetIds },
  };
  const contentHash = createHash("sha256").update(JSON.stringify(content)).digest("hex");
  return {
    config,
    settings,
    builder,
    dagConfig,
    data,
    fullSymbols,
    assetIds,
    lookbackBars,
    columns,
    fitInterval,
    tiles,
    contentHash,
    unusedKeys,
  };
}
