/**
 * `TileRunner`: computes tiles of a planned backtest. A tile loads its own period plus the
 * builder's lookback warm-up (`lookbackBars × barMs` before its start) for its assets only,
 * predicts over its `(start, end]` with `FitPredictRunner`, keeps only its own period, and
 * writes the result frame (timestamp, asset_id, the DAG's features, price, volatility,
 * prediction — input bar columns other than these are not repeated) into `tiled_results/asset_id=<id>/year=<Y>/month=<M>/` (one file per
 * asset and month: `data.parquet` for month/none tiles, `data.<time id>.parquet` for week/day
 * tiles), each atomically, then its success marker last.
 *
 * A model with a fit window is fitted once per process (lazily, before its first tile) on the
 * bars of its fit window for EVERY asset of the backtest, so every tile, worker and shard
 * predicts with the same fitted state: tiled runs equal the untiled one.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import pl from "nodejs-polars";
import { atomicWrite } from "../fs/mod.ts";
import { buildFittedDag, type Dag, FitPredictRunner } from "../dag/mod.ts";
import { BAR_COLUMNS, type Clock } from "../sim/mod.ts";
import type { BacktestPlan } from "./backtest_plan.ts";
import { loadBacktestBars } from "./backtest_data.ts";
import { type Tile, type TileFreq } from "./tile_plan.ts";
import {
  TILE_MARKER_FORMAT_VERSION,
  tileConfigHash,
  type TileFile,
  type TileMarker,
  writeTileMarker,
} from "./tile_marker.ts";

/** The directory of the tiled results, relative to the backtest directory. */
export const TILED_RESULTS_DIR = "tiled_results";

/** Options of a `TileRunner`. */
export interface TileRunnerOptions {
  /** The run's clock (marker times and durations). Required. */
  clock: Clock;
}

/** Runs tiles of one plan into one backtest directory. */
export class TileRunner {
  /** The plan. */
  readonly plan: BacktestPlan;
  /** The backtest directory. */
  readonly dstDir: string;
  readonly #clock: Clock;
  #dag: Dag | undefined;

  /** Creates a runner of `plan`'s tiles writing into `dstDir`. */
  constructor(plan: BacktestPlan, dstDir: string, options: TileRunnerOptions) {
    this.plan = plan;
    this.dstDir = dstDir;
    this.#clock = options.clock;
  }

  /** The config hash `tile` must be done under (`tileConfigHash`). */
  configHash(tile: Tile): string {
    return tileConfigHash(this.plan.contentHash, tile);
  }

  /** Computes `tile`, writes its files, then its marker; returns the marker. */
  async run(tile: Tile): Promise<TileMarker> {
    const t0 = this.#clock.now();
    const plan = this.plan;
    const dag = await this.#fittedDag();
    const barMs = plan.data.barMs;
    const bars = await loadBacktestBars(plan.data, {
      start: tile.start - plan.lookbackBars * barMs,
      end: tile.end,
      assetIds: tile.assetIds,
    });
    let result: pl.DataFrame;
    if (bars.height === 0) result = bars;
    else {
      const runner = new FitPredictRunner(dag, { bars, lookbackBars: plan.lookbackBars, barMs });
      result = runner.predict(tile.start, tile.end);
      dag.clearOutputs();
    }
    const files = await this.#writeResult(tile, this.#resultColumns(result));
    const t1 = this.#clock.now();
    const marker: TileMarker = {
      formatVersion: TILE_MARKER_FORMAT_VERSION,
      tileId: tile.id,
      start: tile.start,
      end: tile.end,
      assetIds: [...tile.assetIds],
      configHash: this.configHash(tile),
      files,
      rows: files.reduce((s, f) => s + f.rows, 0),
      finishedAt: t1,
      elapsedMs: t1 - t0,
    };
    await writeTileMarker(this.dstDir, marker);
    return marker;
  }

  /**
   * The columns kept: the keys, every column the DAG computed (features), and the price /
   * volatility / prediction columns; the input bar columns are not repeated.
   */
  #resultColumns(result: pl.DataFrame): pl.DataFrame {
    const { price, volatility, prediction } = this.plan.columns;
    const roles = new Set([price, volatility, prediction]);
    const inputs = new Set<string>(BAR_COLUMNS);
    const kept = result.columns.filter((c) =>
      c !== "timestamp" && c !== "asset_id" && (!inputs.has(c) || roles.has(c))
    );
    return result.select("timestamp", "asset_id", ...kept);
  }

  async #fittedDag(): Promise<Dag> {
    if (this.#dag !== undefined) return this.#dag;
    const plan = this.plan;
    const config = plan.dagConfig.copy();
    if (plan.fitInterval === undefined) {
      this.#dag = plan.builder.build(config);
    } else {
      const [a, b] = plan.fitInterval;
      const bars = await loadBacktestBars(plan.data, { start: a, end: b, assetIds: plan.assetIds });
      this.#dag = buildFittedDag(plan.builder, config, { bars, barMs: plan.data.barMs });
    }
    return this.#dag;
  }

  async #writeResult(tile: Tile, result: pl.DataFrame): Promise<TileFile[]> {
    if (result.height === 0) return [];
    const keyed = result.withColumns(
      pl.col("timestamp").cast(pl.Int64).sub(pl.lit(1).cast(pl.Int64))
        .cast(pl.Datetime("ms", "UTC")).alias("__p"),
    ).withColumns(
      pl.col("__p").dt.year().cast(pl.Int32).alias("__year"),
      pl.col("__p").dt.month().cast(pl.Int32).alias("__month"),
    );
    const files: TileFile[] = [];
    const name = tileFileName(tile, this.plan.settings.tileFreq);
    const parts = keyed.partitionBy(["asset_id", "__year", "__month"], true, true);
    for (const part of parts) {
      const first = (column: string) => Number(part.getColumn(column).slice(0, 1).toArray()[0]);
      const assetId = first("asset_id");
      const year = first("__year");
      const month = first("__month");
      const rel = resultFilePath({ assetId, year, month, name });
      // LZ4 (LZ4_RAW): about twice as fast to write as zstd here, the files a quarter larger;
      // they are read once, by the merge.
      const bytes = part.drop("__p", "__year", "__month").writeParquet({ compression: "lz4" });
      const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      await atomicWrite(join(this.dstDir, rel), data);
      files.push({
        path: rel,
        rows: part.height,
        bytes: data.byteLength,
        sha256: createHash("sha256").update(data).digest("hex"),
      });
    }
    return files;
  }
}

/** The file name a tile writes in each month partition: `data.parquet`, or `data.<time id>.parquet` for week/day tiles. */
export function tileFileName(tile: Tile, freq: TileFreq): string {
  return freq === "month" || freq === "none" ? "data.parquet" : `data.${tile.timeId}.parquet`;
}

/** `tiled_results/asset_id=<id>/year=<Y>/month=<M>/<name>`, relative to the backtest directory. */
export function resultFilePath(
  key: { assetId: number; year: number; month: number; name: string },
): string {
  return join(
    TILED_RESULTS_DIR,
    `asset_id=${key.assetId}`,
    `year=${key.year}`,
    `month=${key.month}`,
    key.name,
  );
}

/**
 * The asset id, UTC year, month and file name of a result file path written by `resultFilePath`
 * (relative to the backtest directory); undefined when the path is not of that layout.
 */
export function parseResultFilePath(
  path: string,
): { assetId: number; year: number; month: number; name: string } | undefined {
  const parts = path.split(/[\\/]/);
  const n = parts.length;
  if (n < 5 || parts[n - 5] !== TILED_RESULTS_DIR) return undefined;
  const value = (part: string | undefined, key: string) => {
    const match = part === undefined ? null : new RegExp(`^${key}=(-?\\d+)$`).exec(part);
    return match === null ? undefined : Number(match[1]);
  };
  const assetId = value(parts[n - 4], "asset_id");
  const year = value(parts[n - 3], "year");
  const month = value(parts[n - 2], "month");
  const name = parts[n - 1] as string;
  if (assetId === undefined || year === undefined || month === undefined) return undefined;
  return { assetId, year, month, name };
}
