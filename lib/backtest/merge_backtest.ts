/**
 * `mergeBacktest`: the merge step (DESIGN §7). Checks that every tile of the plan is done,
 * reads the forecasts (timestamp, asset_id, price, volatility, prediction) from the files the
 * markers list, evaluates them against the bars with the forecast evaluator, and writes
 * `portfolio/metrics.parquet` (per bar), `portfolio/positions.parquet` (per asset per bar) and
 * `stats.json` (the headline statistics), each atomically. Result files and markers of tiles
 * no longer in the plan (left by a run under another config) are removed.
 */
import { join, relative } from "node:path";
import pl from "nodejs-polars";
import { DagtradeError, DataError } from "../errors/mod.ts";
import { atomicWrite, atomicWriteWith } from "../fs/mod.ts";
import { evaluateForecasts } from "../oms/mod.ts";
import { type PortfolioStatistics, statisticsFromMetrics } from "../report/mod.ts";
import type { BacktestPlan } from "./backtest_plan.ts";
import { loadBacktestPrices } from "./backtest_data.ts";
import { BACKTEST_FILES } from "./backtest_dir.ts";
import { SUCCESS_DIR, tileConfigHash, type TileMarker, tileStatus } from "./tile_marker.ts";
import { _messageOf } from "./_format.ts";

/** The portfolio files, relative to the backtest directory. */
export const PORTFOLIO_FILES = {
  /** Per-bar metrics: timestamp, pnl, gross_volume, net_volume, gmv, nmv, fees, cash, net_wealth, leverage, num_trades. */
  metrics: join(BACKTEST_FILES.portfolio, "metrics.parquet"),
  /** Per asset per bar: holdings, trades, fees, pnl, targets, price, prediction. */
  positions: join(BACKTEST_FILES.portfolio, "positions.parquet"),
} as const;

/** What `mergeBacktest` produced. */
export interface MergeResult {
  /** The statistics written to `stats.json`. */
  stats: PortfolioStatistics;
  /** Forecast rows evaluated. */
  forecastRows: number;
  /** Stale result files and markers removed. */
  pruned: number;
}

/**
 * Merges the tiles of `plan` in `dstDir` into the portfolio and statistics. Throws
 * `DagtradeError` (exit 1) listing the tiles that are not done.
 */
export async function mergeBacktest(plan: BacktestPlan, dstDir: string): Promise<MergeResult> {
  const markers: TileMarker[] = [];
  const missing: { id: string; reason: string }[] = [];
  for (const tile of plan.tiles) {
    const status = await tileStatus(dstDir, tile, {
      configHash: tileConfigHash(plan.contentHash, tile),
    });
    if (status.done) markers.push(status.marker);
    else missing.push({ id: tile.id, reason: status.reason });
  }
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map((m) => `${m.id} (${m.reason})`).join(", ");
    throw new DagtradeError(
      `Cannot merge ${dstDir}: ${missing.length} of ${plan.tiles.length} tiles are not done: ${list}` +
        `${
          missing.length > 10 ? ", ..." : ""
        }; run the missing shards (or the command without --shard/--merge) first`,
    );
  }
  const { price, volatility, prediction } = plan.columns;
  const forecasts = _readForecasts(dstDir, markers, [price, volatility, prediction]);
  const bars = await loadBacktestPrices(plan.data, {
    start: plan.settings.start,
    end: plan.settings.end,
    assetIds: plan.assetIds,
  });
  const s = plan.settings;
  const evaluation = evaluateForecasts(forecasts, bars, {
    priceCol: price,
    volatilityCol: volatility,
    predictionCol: prediction,
    style: s.style,
    sizing: s.sizing,
    fill: s.fill,
    feeBps: s.feeBps,
    initialCash: s.initialCash,
    targetGmv: s.targetGmv,
  });
  const stats = statisticsFromMetrics(evaluation.metrics, {
    barMs: plan.data.barMs,
    initialCash: s.initialCash,
  });
  await _writeParquet(join(dstDir, PORTFOLIO_FILES.metrics), evaluation.metrics);
  await _writeParquet(join(dstDir, PORTFOLIO_FILES.positions), evaluation.positions);
  await atomicWrite(join(dstDir, BACKTEST_FILES.statsJson), JSON.stringify(stats, null, 2) + "\n");
  const pruned = await _pruneStale(dstDir, markers, new Set(plan.tiles.map((t) => t.id)));
  return { stats, forecastRows: forecasts.height, pruned };
}

function _readForecasts(dstDir: string, markers: TileMarker[], wanted: string[]): pl.DataFrame {
  const frames: pl.DataFrame[] = [];
  let columns: string[] | undefined;
  for (const marker of markers) {
    for (const file of marker.files) {
      const path = join(dstDir, file.path);
      let df: pl.DataFrame;
      try {
        if (columns === undefined) {
          // The first file tells which of the wanted columns the model writes (a volatility
          // column is optional for the signal style).
          df = pl.readParquet(path);
          const present = new Set(df.columns);
          columns = ["timestamp", "asset_id", ...new Set(wanted)].filter((c) => present.has(c));
          df = df.select(...columns);
        } else df = pl.readParquet(path, { columns });
      } catch (error) {
        throw new DataError(
          `Cannot read tile result ${path}: ${_messageOf(error)}; delete its marker ` +
            `${join(SUCCESS_DIR, marker.tileId + ".json")} and re-run to recompute the tile`,
          { cause: error },
        );
      }
      frames.push(df);
    }
  }
  if (frames.length === 0) {
    throw new DataError(
      `Cannot merge ${dstDir}: the tiles hold no forecasts (no bars in the backtest range)`,
    );
  }
  return pl.concat(frames, { how: "vertical", rechunk: true }).sort(["timestamp", "asset_id"]);
}

/** Writes a portfolio frame (snappy: about twice as fast to write as zstd, a third larger). */
async function _writeParquet(path: string, df: pl.DataFrame): Promise<void> {
  await atomicWriteWith(path, (tmp) => {
    df.writeParquet(tmp, { compression: "snappy" });
  });
}

/** Removes result files no current marker lists, and markers of tiles not in the plan. */
async function _pruneStale(
  dstDir: string,
  markers: TileMarker[],
  planned: Set<string>,
): Promise<number> {
  const keep = new Set(markers.flatMap((m) => m.files.map((f) => f.path)));
  let pruned = 0;
  const root = join(dstDir, BACKTEST_FILES.tiledResults);
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        await walk(path);
        continue;
      }
      const rel = relative(dstDir, path);
      const isMarker = rel.startsWith(SUCCESS_DIR + "/");
      const stale = isMarker
        ? entry.name.endsWith(".json") && !planned.has(entry.name.slice(0, -".json".length))
        : entry.name.endsWith(".parquet") && !entry.name.startsWith(".") && !keep.has(rel);
      if (stale) {
        await Deno.remove(path);
        pruned++;
      }
    }
  };
  await walk(root);
  return pruned;
}
