/**
 * The `RunOutput` of a system log directory (DESIGN §9, written by `simulate` and `run-prod`),
 * read after consolidation (Parquet):
 *
 * ```
 * run.json                                   metadata (mode, version, config hash, start/end, status)
 * system_config.output.{txt,json}            the effective config (input.* when output.* is absent)
 * market_data/                               bars as received (a store or loose Parquet files)
 * dag/profiling.csv                          ms per node per bar
 * process_forecasts/target_positions.parquet timestamp, asset_id, price, volatility, prediction,
 *                                            target_holdings_shares, target_holdings_notional, ...
 * process_forecasts/fills.parquet            one row per fill: timestamp, asset_id, shares, price, fee
 * process_forecasts/orders.parquet           (counted only)
 * process_forecasts/portfolio/statistics.parquet            per bar: the metrics columns
 * process_forecasts/portfolio/{holdings_shares,holdings_notional,executed_trades_shares,
 *                              executed_trades_notional}.parquet   per asset per bar
 * ```
 *
 * Per-asset portfolio files may be long (`timestamp, asset_id, <value>`, the value column named
 * like the file or `value`) or wide (`timestamp` and one column per asset id). Fills are
 * attributed to the bar whose portfolio includes them: the `bar_timestamp` column when the file
 * has one; otherwise the bar ending at or after the fill's time minus a grace of
 * min(60 s, bar / 2) — a `close` fill is stamped at the decision time, just after its bar's end,
 * and a next-bar fill at the end of the bar that fills it. The research settings are the first
 * subtree of `system_config.output.json` holding `style` and `sizing`.
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import type { JsonValue } from "../config/mod.ts";
import { DataError } from "../errors/mod.ts";
import { formatTime, formatTimeframe, parseTimeframe } from "../sim/bar_schema.ts";
import {
  _floats,
  _kindOf,
  _messageOf,
  _normalizeKeys,
  _object,
  _readJson,
  _readParquet,
  _requireColumns,
  _smallestStep,
  _timeMs,
  _timeSeries,
} from "./_frame_io.ts";
import { readDagProfiling } from "./dag_latency.ts";
import { findResearchSettings } from "./research_settings.ts";
import type { ResearchSettings, RunForecasts, RunOutput } from "./run_output.ts";

/** File names inside a system log directory, relative to it. */
export const SYSTEM_LOG_FILES = {
  /** Run metadata. */
  runJson: "run.json",
  /** Per-bar portfolio statistics. */
  statistics: join("process_forecasts", "portfolio", "statistics.parquet"),
  /** Target positions (with the forecasts the run acted on). */
  targetPositions: join("process_forecasts", "target_positions.parquet"),
  /** Fills. */
  fills: join("process_forecasts", "fills.parquet"),
  /** Orders. */
  orders: join("process_forecasts", "orders.parquet"),
  /** Per-asset portfolio files, by value column. */
  portfolio: join("process_forecasts", "portfolio"),
  /** DAG profile. */
  profiling: join("dag", "profiling.csv"),
  /** Bars as received. */
  marketData: "market_data",
} as const;

const _PORTFOLIO_VALUES = [
  "holdings_shares",
  "holdings_notional",
  "executed_trades_shares",
  "executed_trades_notional",
] as const;

/** Options of `readSystemLogRunOutput`. */
export interface ReadSystemLogRunOutputOptions {
  /** Bars to use instead of the run's `market_data/`. Default: the run's. */
  dataPath?: string | undefined;
  /** The production root this run was picked from (shown in the metadata). Default: none. */
  selectedFrom?: string | undefined;
}

/** Opens the system log directory `dir`; throws `DataError` naming what is missing. */
export async function readSystemLogRunOutput(
  dir: string,
  options: ReadSystemLogRunOutputOptions = {},
): Promise<RunOutput> {
  const hint = "the run did not finish consolidating its logs (it writes Parquet when it ends); " +
    "wait for it, or re-run it";
  const runPath = join(dir, SYSTEM_LOG_FILES.runJson);
  const run = await _kindOf(runPath) === "file"
    ? _object(await _readJson(runPath, "run metadata", "fix or remove it"))
    : undefined;
  const statsPath = join(dir, SYSTEM_LOG_FILES.statistics);
  if (await _kindOf(statsPath) !== "file") {
    throw new DataError(
      `Cannot read system log directory ${dir}: no ${SYSTEM_LOG_FILES.statistics}; ${hint}`,
    );
  }
  const where = `Cannot read portfolio statistics ${statsPath}`;
  const raw = _readParquet(statsPath, "portfolio statistics", hint);
  _requireColumns(raw, ["timestamp", "pnl", "net_wealth"], where, hint);
  const metrics = _normalizeKeys(raw, where);
  const times = _timeMs(metrics, "timestamp", where);
  const barMs = _barMsOf(run) ?? _smallestStep(times);
  if (barMs === undefined) {
    throw new DataError(
      `${where}: cannot tell the bar period (fewer than two bars and no bar period in run.json)`,
    );
  }

  let config: unknown;
  let configFile: string | undefined;
  for (const name of ["system_config.output.json", "system_config.input.json"]) {
    const path = join(dir, name);
    if (await _kindOf(path) === "file") {
      config = await _readJson(path, "system config", "fix it or re-run");
      configFile = name;
      break;
    }
  }
  let configText: string | undefined;
  for (const name of ["system_config.output.txt", "system_config.input.txt"]) {
    const path = join(dir, name);
    if (await _kindOf(path) === "file") {
      configText = await Deno.readTextFile(path);
      break;
    }
  }
  if (configText === undefined && config !== undefined) {
    configText = JSON.stringify(config, null, 2);
  }
  let researchSettings: ResearchSettings | undefined;
  let researchSettingsProblem: string | undefined;
  if (configFile === undefined) {
    researchSettingsProblem = `${dir} has no system_config.output.json`;
  } else {
    try {
      researchSettings = findResearchSettings(config, configFile);
      if (researchSettings === undefined) {
        researchSettingsProblem = `${configFile} has no subtree with 'style' and 'sizing'`;
      }
    } catch (error) {
      researchSettingsProblem = _messageOf(error);
    }
  }

  const metadata: Record<string, JsonValue> = { kind: "system_log", dir };
  if (options.selectedFrom !== undefined) metadata["selected_from"] = options.selectedFrom;
  for (const [key, value] of Object.entries(run ?? {})) {
    if (!(key in metadata)) metadata[key] = value as JsonValue;
  }
  metadata["bars"] = metrics.height;
  metadata["first_bar"] = times.length > 0 ? formatTime(times[0] as number) : null;
  metadata["last_bar"] = times.length > 0 ? formatTime(times[times.length - 1] as number) : null;
  metadata["bar"] = formatTimeframe(barMs);
  for (
    const [key, file] of [["orders", SYSTEM_LOG_FILES.orders], ["fills", SYSTEM_LOG_FILES.fills]]
  ) {
    const path = join(dir, file as string);
    if (await _kindOf(path) === "file") {
      metadata[key as string] = _readParquet(path, key as string, hint).height;
    }
  }
  const marketData = join(dir, SYSTEM_LOG_FILES.marketData);
  const dataPath = options.dataPath ??
    (await _kindOf(marketData) === "dir" ? marketData : undefined);

  return {
    kind: "system_log",
    dir,
    barMs,
    metadata,
    configText,
    researchSettings,
    researchSettingsProblem,
    dataPath,
    metrics: () => Promise.resolve(metrics),
    positions: () => _positions(dir, barMs, hint),
    forecasts: () => _forecasts(dir, hint),
    latency: async () => {
      const path = join(dir, SYSTEM_LOG_FILES.profiling);
      return await _kindOf(path) === "file" ? readDagProfiling(path) : undefined;
    },
  };
}

async function _positions(
  dir: string,
  barMs: number,
  hint: string,
): Promise<pl.DataFrame | undefined> {
  const pieces: pl.DataFrame[] = [];
  for (const name of _PORTFOLIO_VALUES) {
    const path = join(dir, SYSTEM_LOG_FILES.portfolio, `${name}.parquet`);
    if (await _kindOf(path) !== "file") continue;
    pieces.push(_longValue(_readParquet(path, "portfolio file", hint), name, path, hint));
  }
  const targetsPath = join(dir, SYSTEM_LOG_FILES.targetPositions);
  if (await _kindOf(targetsPath) === "file") {
    const df = _readParquet(targetsPath, "target positions", hint);
    const where = `Cannot read target positions ${targetsPath}`;
    _requireColumns(df, ["timestamp", "asset_id"], where, hint);
    const cols = ["prediction", "target_holdings_shares", "target_holdings_notional"].filter((c) =>
      df.columns.includes(c)
    );
    pieces.push(_normalizeKeys(df.select("timestamp", "asset_id", ...cols), where));
  }
  const fillsPath = join(dir, SYSTEM_LOG_FILES.fills);
  if (await _kindOf(fillsPath) === "file") {
    pieces.push(_fillsPerBar(_readParquet(fillsPath, "fills", hint), barMs, fillsPath, hint));
  }
  if (pieces.length === 0) return undefined;
  let joined = pieces[0] as pl.DataFrame;
  for (const piece of pieces.slice(1)) {
    joined = joined.join(piece, { on: ["timestamp", "asset_id"], how: "full", coalesce: true });
  }
  const zeros = ["fill_shares", "fill_notional", "fill_fees"].filter((c) =>
    joined.columns.includes(c)
  );
  if (zeros.length > 0) {
    joined = joined.withColumns(
      ...zeros.map((c) => pl.col(c).fillNull(pl.lit(0))),
      pl.col("fill_price").fillNull(pl.lit(NaN)),
    );
  }
  return joined.sort(["timestamp", "asset_id"]);
}

/** A per-asset portfolio file (long or wide) as `timestamp, asset_id, <name>`. */
function _longValue(df: pl.DataFrame, name: string, path: string, hint: string): pl.DataFrame {
  const where = `Cannot read portfolio file ${path}`;
  _requireColumns(df, ["timestamp"], where, hint);
  if (df.columns.includes("asset_id")) {
    const others = df.columns.filter((c) => c !== "timestamp" && c !== "asset_id");
    const value = others.includes(name)
      ? name
      : others.includes("value")
      ? "value"
      : others.length === 1
      ? others[0] as string
      : undefined;
    if (value === undefined) {
      throw new DataError(
        `${where}: no value column '${name}' (columns: ${df.columns.join(", ")}); ${hint}`,
      );
    }
    return _normalizeKeys(
      df.select("timestamp", "asset_id", pl.col(value).cast(pl.Float64).alias(name)),
      where,
    );
  }
  const assets = df.columns.filter((c) => /^\d+$/.test(c));
  if (assets.length === 0) {
    throw new DataError(
      `${where}: neither long (timestamp, asset_id, ${name}) nor wide (timestamp and one ` +
        `column per asset id) (columns: ${df.columns.join(", ")}); ${hint}`,
    );
  }
  const long = df.select("timestamp", ...assets.map((c) => pl.col(c).cast(pl.Float64)))
    .unpivot("timestamp", assets, { variableName: "asset_id", valueName: name });
  return _normalizeKeys(long.withColumns(pl.col("asset_id").cast(pl.Int64)), where);
}

/** Fills summed per (bar, asset): fill_shares, fill_notional, fill_fees, fill_price. */
function _fillsPerBar(df: pl.DataFrame, barMs: number, path: string, hint: string): pl.DataFrame {
  const where = `Cannot read fills ${path}`;
  const sharesCol = ["shares", "num_shares", "filled_shares"].find((c) => df.columns.includes(c));
  _requireColumns(df, ["timestamp", "asset_id", sharesCol ?? "shares", "price"], where, hint);
  const stamped = _timeMs(df, "timestamp", where);
  let bars: Float64Array;
  if (df.columns.includes("bar_timestamp")) {
    bars = _timeMs(df, "bar_timestamp", where);
  } else {
    const grace = Math.min(60_000, barMs / 2);
    bars = Float64Array.from(stamped, (t) => Math.ceil((t - grace) / barMs) * barMs);
  }
  const ids = _floats(df, "asset_id", where);
  const shares = _floats(df, sharesCol as string, where);
  const price = _floats(df, "price", where);
  const fee = df.columns.includes("fee") ? _floats(df, "fee", where) : undefined;
  const cells = new Map<string, { t: number; a: number; s: number; n: number; f: number }>();
  for (let i = 0; i < df.height; i++) {
    const t = bars[i] as number;
    const a = ids[i] as number;
    const key = `${t}|${a}`;
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = { t, a, s: 0, n: 0, f: 0 };
      cells.set(key, cell);
    }
    const s = shares[i] as number;
    cell.s += s;
    cell.n += s * (price[i] as number);
    if (fee !== undefined) cell.f += fee[i] as number;
  }
  const rows = [...cells.values()].sort((x, y) => x.t - y.t || x.a - y.a);
  const col = (f: (r: typeof rows[number]) => number) => Float64Array.from(rows, f);
  return pl.DataFrame([
    _timeSeries("timestamp", col((r) => r.t)),
    pl.Series("asset_id", col((r) => r.a)).cast(pl.Int64),
    pl.Series("fill_shares", col((r) => r.s)),
    pl.Series("fill_notional", col((r) => r.n)),
    pl.Series("fill_price", col((r) => r.s !== 0 ? r.n / r.s : NaN)),
    pl.Series("fill_fees", col((r) => r.f)),
  ]);
}

/** The forecasts the run acted on: target_positions' price, volatility and prediction. */
async function _forecasts(dir: string, hint: string): Promise<RunForecasts | undefined> {
  const path = join(dir, SYSTEM_LOG_FILES.targetPositions);
  if (await _kindOf(path) !== "file") return undefined;
  const df = _readParquet(path, "target positions", hint);
  const where = `Cannot read the forecasts in ${path}`;
  _requireColumns(df, ["timestamp", "asset_id", "price", "prediction"], where, hint);
  const cols = ["timestamp", "asset_id", "price", "volatility", "prediction"].filter((c) =>
    df.columns.includes(c)
  );
  return {
    frame: _normalizeKeys(df.select(...cols), where),
    priceCol: "price",
    volatilityCol: "volatility",
    predictionCol: "prediction",
  };
}

/** The bar period from run.json (`bar_ms`, `period_ms`, or a timeframe `bar` / `timeframe`). */
function _barMsOf(run: Record<string, unknown> | undefined): number | undefined {
  for (const key of ["bar_ms", "period_ms"]) {
    const v = run?.[key];
    if (typeof v === "number" && v > 0) return v;
  }
  for (const key of ["bar", "timeframe", "period"]) {
    const v = run?.[key];
    if (typeof v === "string") {
      try {
        return parseTimeframe(v);
      } catch {
        // not a timeframe: try the next key
      }
    }
  }
  return undefined;
}
