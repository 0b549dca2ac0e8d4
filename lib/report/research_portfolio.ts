/**
 * The research portfolio of a run, recomputed from the run's own logged forecasts with the
 * forecast evaluator (DESIGN §7, §10): the forecasts (a backtest's tile results, a system log's
 * target positions), the run's evaluator settings, and the bars it traded on. Comparing it
 * with the run's own portfolio (`reconcilePortfolios`) separates what the model decided from
 * what execution and accounting made of it.
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { evaluateForecasts } from "../oms/mod.ts";
import { readBars } from "../sim/mod.ts";
import { _floats, _kindOf, _normalizeKeys, _readParquet, _timeMs } from "./_frame_io.ts";
import type { PortfolioFrames } from "./reconcile_portfolios.ts";
import { normalizeLedgerPositions, type RunOutput } from "./run_output.ts";

/** Options of `recomputeResearchPortfolio`. */
export interface RecomputeResearchOptions {
  /** Bars to evaluate against (the bar contract's columns). Default: loaded from `run.dataPath`. */
  bars?: pl.DataFrame | undefined;
  /** The label of the result. Default: `research (recomputed from the run's forecasts)`. */
  label?: string | undefined;
}

/**
 * Recomputes the research portfolio of `run`. Throws `DataError` when the run logged no
 * forecasts, has no evaluator settings, or its bars cannot be loaded (the message says which
 * and what to pass).
 */
export async function recomputeResearchPortfolio(
  run: RunOutput,
  options: RecomputeResearchOptions = {},
): Promise<PortfolioFrames> {
  const what = `Cannot recompute the research portfolio of ${run.dir}`;
  const settings = run.researchSettings;
  if (settings === undefined) {
    throw new DataError(`${what}: ${run.researchSettingsProblem ?? "no evaluator settings"}`);
  }
  const forecasts = await run.forecasts();
  if (forecasts === undefined || forecasts.frame.height === 0) {
    throw new DataError(`${what}: the run logged no forecasts`);
  }
  let bars = options.bars;
  if (bars === undefined) {
    if (run.dataPath === undefined) {
      throw new DataError(`${what}: the run names no bars; pass --data <snapshot or store>`);
    }
    const ts = _timeMs(forecasts.frame, "timestamp", what);
    const ids = [...new Set(_floats(forecasts.frame, "asset_id", what))];
    bars = await loadRunBars(run.dataPath, {
      start: (ts[0] as number) - run.barMs,
      end: (ts[ts.length - 1] as number) + run.barMs,
      assetIds: ids,
    });
  }
  let evaluation;
  try {
    evaluation = evaluateForecasts(forecasts.frame, bars, {
      priceCol: forecasts.priceCol,
      volatilityCol: forecasts.volatilityCol,
      predictionCol: forecasts.predictionCol,
      style: settings.style,
      sizing: settings.sizing,
      fill: settings.fill,
      feeBps: settings.feeBps,
      initialCash: settings.initialCash,
      targetGmv: settings.targetGmv,
    });
  } catch (error) {
    if (error instanceof DataError) {
      throw new DataError(`${what}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return {
    label: options.label ?? "research (recomputed from the run's forecasts)",
    metrics: evaluation.metrics,
    positions: normalizeLedgerPositions(evaluation.positions),
  };
}

/** Options of `loadRunBars`. */
export interface LoadRunBarsOptions {
  /** Keep bars ending after this time (epoch ms). Required. */
  start: number;
  /** ... and at or before this time. Required. */
  end: number;
  /** Keep these assets. Default: all. */
  assetIds?: readonly number[] | undefined;
}

/**
 * Loads the bars of `(start, end]` from a snapshot file, a store directory, or a directory of
 * loose Parquet bar files (a system log's `market_data/`: every `*.parquet` below it, a later
 * row replacing an earlier one with the same (timestamp, asset_id)). Returns timestamp,
 * asset_id, open, high, low, close, volume sorted by (timestamp, asset_id).
 */
export async function loadRunBars(
  path: string,
  options: LoadRunBarsOptions,
): Promise<pl.DataFrame> {
  const kind = await _kindOf(path);
  if (kind === undefined) {
    throw new DataError(
      `Cannot load the run's bars from ${path}: no such file or directory (a relative path is ` +
        `read from the current directory); pass --data <snapshot or store>`,
    );
  }
  const columns = ["timestamp", "asset_id", "open", "high", "low", "close", "volume"];
  let bars: pl.DataFrame;
  if (kind === "file" || await _isStore(path)) {
    bars = (await readBars(path, { start: options.start, end: options.end })).select(...columns);
  } else {
    const files: string[] = [];
    await _parquetFiles(path, files);
    if (files.length === 0) {
      throw new DataError(
        `Cannot load the run's bars from ${path}: no Parquet files in it; pass --data <snapshot or store>`,
      );
    }
    const frames = files.map((file) => {
      const df = _readParquet(file, "bar file", "pass --data <snapshot or store>");
      const missing = columns.filter((c) => !df.columns.includes(c));
      if (missing.length > 0) {
        throw new DataError(
          `Cannot load the run's bars from ${file}: no column ${missing.join(", ")}; ` +
            `pass --data <snapshot or store>`,
        );
      }
      return _normalizeKeys(df.select(...columns), `Cannot load the run's bars from ${file}`);
    });
    bars = pl.concat(frames, { how: "vertical", rechunk: true })
      .unique({ subset: ["timestamp", "asset_id"], keep: "last", maintainOrder: true })
      .sort(["timestamp", "asset_id"]);
    const ts = _timeMs(bars, "timestamp", path);
    let lo = 0;
    while (lo < ts.length && (ts[lo] as number) <= options.start) lo++;
    let hi = lo;
    while (hi < ts.length && (ts[hi] as number) <= options.end) hi++;
    bars = bars.slice(lo, hi - lo);
  }
  if (options.assetIds !== undefined) {
    const wanted = pl.DataFrame([pl.Series("asset_id", [...options.assetIds]).cast(pl.Int64)]);
    bars = bars.join(wanted, { on: "asset_id", how: "semi" }).sort(["timestamp", "asset_id"]);
  }
  return bars;
}

async function _isStore(dir: string): Promise<boolean> {
  if (await _kindOf(`${dir}/store.meta.json`) === "file") return true;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && entry.name.startsWith("asset_id=")) return true;
  }
  return false;
}

async function _parquetFiles(dir: string, out: string[]): Promise<void> {
  const entries = (await Array.fromAsync(Deno.readDir(dir))).sort((a, b) =>
    a.name.localeCompare(b.name)
  );
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await _parquetFiles(path, out);
    else if (entry.name.endsWith(".parquet")) out.push(path);
  }
}
