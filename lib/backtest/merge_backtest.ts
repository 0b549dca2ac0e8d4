/**
 * `mergeBacktest`: the merge step (DESIGN §7). Checks that every tile of the plan is done, then
 * evaluates the forecasts (timestamp, asset_id, price, volatility, prediction) of the files the
 * markers list against the bars, a chunk of whole result months at a time
 * (`evaluateForecastsChunk` carries the book from chunk to chunk, so the result is bit for bit
 * the whole-period evaluation's), and writes `portfolio/metrics.parquet` (per bar),
 * `portfolio/positions.parquet` (per asset per bar) and `stats.json` (the headline
 * statistics), each atomically.
 *
 * Memory is bounded by a chunk (`MERGE_CHUNK_ROWS` forecast rows, or one month when a month
 * has more), not by the period: each chunk's forecasts and bars (from the previous chunk's
 * last forecast time, whose pending next-bar order they fill) are read (the next chunk's while
 * this one is evaluated), evaluated and dropped (their native memory freed every two chunks,
 * see `_native_memory.ts`); its positions go to a Parquet part under
 * `portfolio/.positions.parts/` (written in the background), and the parts are streamed into
 * `positions.parquet` at the end (Polars' streaming sink), then removed. Only the per-bar
 * metrics (one row per bar) are kept whole, for the statistics. One merge at a time per
 * directory (a merge clears the parts a crashed one left). Result files and markers of tiles
 * no longer in the plan (left by a run under another config) are removed.
 */
import { join, relative } from "node:path";
import pl from "nodejs-polars";
import { DagtradeError, DataError } from "../errors/mod.ts";
import { atomicWrite, atomicWriteWith } from "../fs/mod.ts";
import { evaluateForecastsChunk, type ForecastEvaluatorState } from "../oms/mod.ts";
import { type PortfolioStatistics, statisticsFromMetrics } from "../report/mod.ts";
import type { BacktestPlan } from "./backtest_plan.ts";
import { loadBacktestPrices } from "./backtest_data.ts";
import { BACKTEST_FILES } from "./backtest_dir.ts";
import { SUCCESS_DIR, tileConfigHash, type TileMarker, tileStatus } from "./tile_marker.ts";
import { parseResultFilePath } from "./tile_runner.ts";
import { _releaseNativeMemory } from "./_native_memory.ts";
import { _messageOf } from "./_format.ts";

/** The portfolio files, relative to the backtest directory. */
export const PORTFOLIO_FILES = {
  /** Per-bar metrics: timestamp, pnl, gross_volume, net_volume, gmv, nmv, fees, cash, net_wealth, leverage, num_trades. */
  metrics: join(BACKTEST_FILES.portfolio, "metrics.parquet"),
  /** Per asset per bar: holdings, trades, fees, pnl, targets, price, prediction. */
  positions: join(BACKTEST_FILES.portfolio, "positions.parquet"),
} as const;

/** The merge's temporary per-chunk positions parts, relative to the backtest directory. */
const _PARTS_DIR = join(BACKTEST_FILES.portfolio, ".positions.parts");

/**
 * Forecast rows the merge evaluates at a time (whole result months, as many as fit; a month
 * with more rows is a chunk of its own): 2^18 rows, two months of 14 pairs of 5-minute bars,
 * about 150 MB while evaluated. Smaller chunks lower the peak memory but cost time (each chunk
 * scans the bars and writes a part; the native memory is freed every two chunks' rows).
 */
export const MERGE_CHUNK_ROWS = 2 ** 18;

/** Forecast rows after which the merge frees the native memory of the chunks' frames. */
const _RELEASE_ROWS = 2 * MERGE_CHUNK_ROWS;

/** What `mergeBacktest` produced. */
export interface MergeResult {
  /** The statistics written to `stats.json`. */
  stats: PortfolioStatistics;
  /** Forecast rows evaluated. */
  forecastRows: number;
  /** Result months evaluated. */
  months: number;
  /** Chunks the months were evaluated in (see `MERGE_CHUNK_ROWS`). */
  chunks: number;
  /** Stale result files and markers removed. */
  pruned: number;
}

/** Options of `mergeBacktest`. */
export interface MergeBacktestOptions {
  /** Forecast rows evaluated at a time (whole months; at least one). Default: `MERGE_CHUNK_ROWS`. */
  chunkRows?: number;
}

/**
 * Merges the tiles of `plan` in `dstDir` into the portfolio and statistics. Throws
 * `DagtradeError` (exit 1) listing the tiles that are not done.
 */
export async function mergeBacktest(
  plan: BacktestPlan,
  dstDir: string,
  options: MergeBacktestOptions = {},
): Promise<MergeResult> {
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
  const months = _resultMonths(dstDir, markers);
  if (months.length === 0) {
    throw new DataError(
      `Cannot merge ${dstDir}: the tiles hold no forecasts (no bars in the backtest range)`,
    );
  }
  const chunks = _chunks(months, options.chunkRows ?? MERGE_CHUNK_ROWS);
  const { price, volatility, prediction } = plan.columns;
  const s = plan.settings;
  const evaluator = {
    priceCol: price,
    volatilityCol: volatility,
    predictionCol: prediction,
    style: s.style,
    sizing: s.sizing,
    fill: s.fill,
    feeBps: s.feeBps,
    initialCash: s.initialCash,
    targetGmv: s.targetGmv,
    // Every asset with forecasts, as the whole-period evaluation's dense columns.
    assetIds: [...new Set(months.flatMap((m) => m.files.map((f) => f.assetId)))],
  };
  const partsDir = join(dstDir, _PARTS_DIR);
  await Deno.remove(partsDir, { recursive: true }).catch(() => {}); // a crashed merge's
  await Deno.mkdir(partsDir, { recursive: true });
  const writes: Promise<unknown>[] = [];
  try {
    const reader = new _ForecastReader(dstDir, [price, volatility, prediction]);
    const metrics: pl.DataFrame[] = [];
    const parts: string[] = [];
    let state: ForecastEvaluatorState | undefined;
    let forecastRows = 0;
    // Bars of a chunk's own months; those before (from the previous chunk's last forecast,
    // when its months end with bars but no forecasts) are loaded when needed.
    const until = (chunk: _Chunk) => Math.min(chunk.end, s.end);
    const loadBars = (start: number, end: number) =>
      loadBacktestPrices(plan.data, { start, end, assetIds: plan.assetIds });
    const first = chunks[0] as _Chunk;
    let next = _handled(reader.prefetch(first.files));
    let nextBars = _handled(loadBars(s.start, until(first)));
    let unreleased = Infinity; // forecast rows evaluated since the last release
    for (const [i, chunk] of chunks.entries()) {
      // The frames of the chunks evaluated since the last release (or those of the tiles run
      // in this process) are garbage: free their native memory, every `_RELEASE_ROWS` rows
      // (a collection costs ≈ 0.1 s of CPU: not after every chunk).
      if (unreleased >= _RELEASE_ROWS) {
        await _releaseNativeMemory();
        unreleased = 0;
      }
      unreleased += chunk.rows;
      const forecasts = await next;
      let bars = await nextBars;
      // The next chunk's inputs are read (by Polars' threads) while this one is evaluated.
      const following = chunks[i + 1];
      if (following !== undefined) {
        next = _handled(reader.prefetch(following.files));
        nextBars = _handled(loadBars(until(chunk), until(following)));
      }
      // The bars from the last evaluated forecast time: its next-bar order fills on them.
      const start = i === 0 ? s.start : until(chunks[i - 1] as _Chunk);
      const from = state?.lastTime ?? s.start;
      if (from < start) {
        bars = pl.concat([await loadBars(from, start), bars], { how: "vertical" });
      }
      const evaluated = evaluateForecastsChunk(forecasts, bars, {
        ...evaluator,
        state,
        final: i === chunks.length - 1,
      });
      state = evaluated.state;
      forecastRows += forecasts.height;
      metrics.push(evaluated.metrics);
      if (evaluated.positions.height > 0) {
        // Written by Polars' threads while the next chunk is evaluated. Snappy: the final sink
        // reads the parts memory-mapped, and bigger (uncompressed) parts stay resident longer.
        const part = join(partsDir, `part-${String(parts.length).padStart(5, "0")}.parquet`);
        writes.push(
          _handled(
            evaluated.positions.lazy().sinkParquet(part, { compression: "snappy" }).collect(),
          ),
        );
        parts.push(part);
      }
    }
    await Promise.all(writes);
    // The last chunks' frames, before the statistics and the streaming of the parts.
    await _releaseNativeMemory();
    const perBar = pl.concat(metrics, { how: "vertical", rechunk: true });
    const stats = statisticsFromMetrics(perBar, {
      barMs: plan.data.barMs,
      initialCash: s.initialCash,
    });
    await _writeParquet(join(dstDir, PORTFOLIO_FILES.metrics), perBar);
    await atomicWriteWith(join(dstDir, PORTFOLIO_FILES.positions), (tmp) => {
      pl.concat(parts.map((part) => pl.scanParquet(part)), { how: "vertical" })
        .sinkParquet(tmp, { compression: "snappy" }).collectSync();
    });
    await atomicWrite(
      join(dstDir, BACKTEST_FILES.statsJson),
      JSON.stringify(stats, null, 2) + "\n",
    );
    const pruned = await _pruneStale(dstDir, markers, new Set(plan.tiles.map((t) => t.id)));
    return { stats, forecastRows, months: months.length, chunks: chunks.length, pruned };
  } finally {
    await Promise.allSettled(writes);
    await Deno.remove(partsDir, { recursive: true }).catch(() => {});
  }
}

/** One result file of a month. */
interface _ResultFile {
  /** Relative to the backtest directory. */
  path: string;
  /** The asset of its rows. */
  assetId: number;
  /** The tile that wrote it. */
  tileId: string;
  /** Its rows (from the marker). */
  rows: number;
}

/** The result files grouped by their month, in time order, with the month's `(start, end]`. */
function _resultMonths(
  dstDir: string,
  markers: TileMarker[],
): { start: number; end: number; files: _ResultFile[]; rows: number }[] {
  const byMonth = new Map<number, _ResultFile[]>();
  for (const marker of markers) {
    for (const file of marker.files) {
      const key = parseResultFilePath(file.path);
      if (key === undefined) {
        throw new DataError(
          `Cannot merge ${dstDir}: result file ${file.path} of tile ${marker.tileId} is not ` +
            `under tiled_results/asset_id=<id>/year=<Y>/month=<M>/; delete its marker ` +
            `${join(SUCCESS_DIR, marker.tileId + ".json")} and re-run to recompute the tile`,
        );
      }
      const month = key.year * 12 + key.month - 1;
      const files = byMonth.get(month) ?? [];
      files.push({ path: file.path, assetId: key.assetId, tileId: marker.tileId, rows: file.rows });
      byMonth.set(month, files);
    }
  }
  return [...byMonth.keys()].sort((a, b) => a - b).map((m) => ({
    start: Date.UTC(Math.floor(m / 12), m % 12, 1),
    end: Date.UTC(Math.floor(m / 12), m % 12 + 1, 1),
    files: byMonth.get(m) as _ResultFile[],
    rows: (byMonth.get(m) as _ResultFile[]).reduce((sum, f) => sum + f.rows, 0),
  }));
}

/**
 * `promise`, marked as handled: a background read or write that fails while the merge is
 * failing for another reason must not end the process as an unhandled rejection (its error
 * still reaches whoever awaits it).
 */
function _handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Whole result months evaluated together. */
interface _Chunk {
  /** The end of its last month, epoch ms. */
  end: number;
  /** The months' result files. */
  files: _ResultFile[];
  /** Their rows. */
  rows: number;
}

/** Consecutive months grouped into chunks of at most `rows` forecast rows (at least a month). */
function _chunks(
  months: { start: number; end: number; files: _ResultFile[]; rows: number }[],
  rows: number,
): _Chunk[] {
  const chunks: _Chunk[] = [];
  for (const month of months) {
    const last = chunks[chunks.length - 1];
    if (last !== undefined && last.rows + month.rows <= rows) {
      last.end = month.end;
      last.files.push(...month.files);
      last.rows += month.rows;
    } else chunks.push({ end: month.end, files: [...month.files], rows: month.rows });
  }
  return chunks;
}

/** Reads result files' forecast columns (those of the wanted ones the model writes). */
class _ForecastReader {
  readonly #dstDir: string;
  readonly #wanted: string[];
  #columns: string[] | undefined;

  constructor(dstDir: string, wanted: string[]) {
    this.#dstDir = dstDir;
    this.#wanted = wanted;
  }

  /**
   * `read` in the background (one lazy Polars query, collected on Polars' threads); on a
   * failure, `read` again to name the bad file.
   */
  async prefetch(files: _ResultFile[]): Promise<pl.DataFrame> {
    if (this.#columns === undefined || files.length === 0) return this.read(files);
    const columns = this.#columns;
    try {
      const scans = files.map((file) => pl.scanParquet(join(this.#dstDir, file.path)));
      return await pl.concat(scans, { how: "vertical" }).select(...columns)
        .sort(["timestamp", "asset_id"]).collect();
    } catch {
      return this.read(files);
    }
  }

  /** The files' rows, sorted by (timestamp, asset_id); throws `DataError` naming a bad file. */
  read(files: _ResultFile[]): pl.DataFrame {
    const frames = files.map((file) => {
      const path = join(this.#dstDir, file.path);
      try {
        if (this.#columns === undefined) {
          // The first file tells which of the wanted columns the model writes (a volatility
          // column is optional for the signal style).
          const df = pl.readParquet(path);
          const present = new Set(df.columns);
          this.#columns = ["timestamp", "asset_id", ...new Set(this.#wanted)].filter((c) =>
            present.has(c)
          );
          return df.select(...this.#columns);
        }
        return pl.readParquet(path, { columns: this.#columns });
      } catch (error) {
        throw new DataError(
          `Cannot read tile result ${path}: ${_messageOf(error)}; delete its marker ` +
            `${join(SUCCESS_DIR, file.tileId + ".json")} and re-run to recompute the tile`,
          { cause: error },
        );
      }
    });
    return pl.concat(frames, { how: "vertical", rechunk: true }).sort(["timestamp", "asset_id"]);
  }
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
