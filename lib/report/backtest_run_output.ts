/**
 * The `RunOutput` of a backtest directory (DESIGN §7): `portfolio/metrics.parquet` (per bar),
 * `portfolio/positions.parquet` (per asset per bar), the forecasts of `tiled_results/` (the
 * files the tiles' success markers list; the price / volatility / prediction columns named by
 * the run's DAG builder), the evaluator settings of `config.json`'s `backtest` subtree, and the
 * bars of `backtest.data` (relative paths are read from the current directory, as the
 * backtest did; `dataPath` overrides it).
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { Config, type JsonValue } from "../config/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import { DataError } from "../errors/mod.ts";
import { formatTime, formatTimeframe, parseTimeframe } from "../sim/bar_schema.ts";
import {
  _kindOf,
  _messageOf,
  _normalizeKeys,
  _object,
  _readJson,
  _readParquet,
  _requireColumns,
  _smallestStep,
  _timeMs,
} from "./_frame_io.ts";
import { readDagProfiling } from "./dag_latency.ts";
import { parseResearchSettings } from "./research_settings.ts";
import {
  normalizeLedgerPositions,
  type ResearchSettings,
  type RunForecasts,
  type RunOutput,
} from "./run_output.ts";

/** Options of `readBacktestRunOutput`. */
export interface ReadBacktestRunOutputOptions {
  /** Bars to use instead of the config's `backtest.data`. Default: the config's. */
  dataPath?: string | undefined;
}

/**
 * Opens the backtest directory `dir`. Throws `DataError` when its metrics are missing or
 * unreadable (with the command that rebuilds them).
 */
export async function readBacktestRunOutput(
  dir: string,
  options: ReadBacktestRunOutputOptions = {},
): Promise<RunOutput> {
  const rebuild = `rebuild it with 'dagtrade backtest --dst-dir ${dir} --merge'`;
  const configPath = join(dir, "config.json");
  const config = await _kindOf(configPath) === "file"
    ? await _readJson(configPath, "backtest config", "fix it or re-run the backtest")
    : undefined;
  const root = _object(config);
  const backtest = _object(root?.["backtest"]);

  const metricsPath = join(dir, "portfolio", "metrics.parquet");
  if (await _kindOf(metricsPath) !== "file") {
    throw new DataError(
      `Cannot read backtest ${dir}: no portfolio/metrics.parquet (the tiles were not merged ` +
        `into a portfolio); ${rebuild}`,
    );
  }
  const where = `Cannot read backtest metrics ${metricsPath}`;
  const rawMetrics = _readParquet(metricsPath, "backtest metrics", rebuild);
  _requireColumns(rawMetrics, ["timestamp", "pnl", "net_wealth"], where, rebuild);
  const metrics = _normalizeKeys(rawMetrics, where);
  const times = _timeMs(metrics, "timestamp", where);
  const barMs = _smallestStep(times) ?? _barMsFromConfig(backtest);
  if (barMs === undefined) {
    throw new DataError(
      `${where}: cannot tell the bar period (fewer than two bars and no backtest_config); ${rebuild}`,
    );
  }

  let researchSettings: ResearchSettings | undefined;
  let researchSettingsProblem: string | undefined;
  if (backtest === undefined) {
    researchSettingsProblem = `${configPath} has no 'backtest' settings`;
  } else {
    try {
      researchSettings = parseResearchSettings(backtest, "config.json:backtest");
    } catch (error) {
      researchSettingsProblem = _messageOf(error);
    }
  }
  const data = typeof backtest?.["data"] === "string" ? backtest["data"] : undefined;
  const configTxt = join(dir, "config.txt");
  const configText = await _kindOf(configTxt) === "file"
    ? await Deno.readTextFile(configTxt)
    : config === undefined
    ? undefined
    : JSON.stringify(config, null, 2);

  const metadata: Record<string, JsonValue> = {
    kind: "backtest",
    dir,
    dag_builder: typeof root?.["dag_builder"] === "string" ? root["dag_builder"] : null,
  };
  for (const key of ["data", "backtest_config", "start", "end", "symbols"]) {
    const v = backtest?.[key];
    if (v !== undefined) metadata[key] = v as JsonValue;
  }
  metadata["bars"] = metrics.height;
  metadata["first_bar"] = times.length > 0 ? formatTime(times[0] as number) : null;
  metadata["last_bar"] = times.length > 0 ? formatTime(times[times.length - 1] as number) : null;
  metadata["bar"] = formatTimeframe(barMs);
  if (researchSettings !== undefined) {
    metadata["style"] = researchSettings.style;
    metadata["sizing"] = researchSettings.sizing;
    metadata["fill"] = researchSettings.fill;
    metadata["fee_bps"] = researchSettings.feeBps;
    metadata["initial_cash"] = researchSettings.initialCash;
  }

  return {
    kind: "backtest",
    dir,
    barMs,
    metadata,
    configText,
    researchSettings,
    researchSettingsProblem,
    dataPath: options.dataPath ?? data,
    metrics: () => Promise.resolve(metrics),
    positions: () => _positions(dir, rebuild),
    forecasts: () => _forecasts(dir, root),
    latency: async () => {
      const path = join(dir, "dag", "profiling.csv");
      return await _kindOf(path) === "file" ? readDagProfiling(path) : undefined;
    },
  };
}

async function _positions(dir: string, rebuild: string): Promise<pl.DataFrame | undefined> {
  const path = join(dir, "portfolio", "positions.parquet");
  if (await _kindOf(path) !== "file") return undefined;
  const where = `Cannot read backtest positions ${path}`;
  const df = _readParquet(path, "backtest positions", rebuild);
  _requireColumns(df, ["timestamp", "asset_id"], where, rebuild);
  return normalizeLedgerPositions(_normalizeKeys(df, where));
}

/** The forecasts of the tiles (the files their success markers list, else every data file). */
async function _forecasts(
  dir: string,
  root: Record<string, unknown> | undefined,
): Promise<RunForecasts | undefined> {
  const name = root?.["dag_builder"];
  const dagTree = _object(root?.["dag"]);
  if (typeof name !== "string" || dagTree === undefined) return undefined;
  let columns: { price: string; volatility: string; prediction: string };
  try {
    const dagConfig = Config.fromJSON(JSON.stringify(dagTree), { writer: "config.json" });
    columns = getBuilder(name).columnNames(dagConfig);
  } catch (error) {
    throw new DataError(
      `Cannot read the forecasts of backtest ${dir}: the dag '${name}' of config.json: ${
        _messageOf(error)
      }`,
      { cause: error },
    );
  }
  const files = await _tileFiles(dir);
  if (files.length === 0) return undefined;
  const wanted = ["timestamp", "asset_id", columns.price, columns.volatility, columns.prediction];
  const frames: pl.DataFrame[] = [];
  for (const file of files) {
    const df = _readParquet(
      file,
      "tile result",
      `re-run the backtest (delete the tile's marker under tiled_results/_success/ to recompute it)`,
    );
    const present = new Set(df.columns);
    frames.push(df.select(...new Set(wanted.filter((c) => present.has(c)))));
  }
  let frame: pl.DataFrame;
  try {
    frame = pl.concat(frames, { how: "vertical", rechunk: true });
  } catch (error) {
    throw new DataError(
      `Cannot read the forecasts of backtest ${dir}: the tile results do not share one schema ` +
        `(${_messageOf(error)}); re-run the backtest with --force`,
      { cause: error },
    );
  }
  const where = `Cannot read the forecasts of backtest ${dir}`;
  _requireColumns(
    frame,
    ["timestamp", "asset_id", columns.price, columns.prediction],
    where,
    "re-run the backtest",
  );
  return {
    frame: _normalizeKeys(frame, where),
    priceCol: columns.price,
    volatilityCol: columns.volatility,
    predictionCol: columns.prediction,
  };
}

async function _tileFiles(dir: string): Promise<string[]> {
  const markers = join(dir, "tiled_results", "_success");
  const files: string[] = [];
  if (await _kindOf(markers) === "dir") {
    const names = (await Array.fromAsync(Deno.readDir(markers)))
      .filter((e) => e.isFile && e.name.endsWith(".json") && !e.name.startsWith("."))
      .map((e) => e.name).sort();
    for (const name of names) {
      const marker = _object(
        await _readJson(join(markers, name), "tile marker", "delete it and re-run the backtest"),
      );
      const listed = marker?.["files"];
      if (!Array.isArray(listed)) continue;
      for (const f of listed) {
        const path = _object(f)?.["path"];
        if (typeof path === "string") files.push(join(dir, path));
      }
    }
    return files;
  }
  const walk = async (d: string): Promise<void> => {
    if (await _kindOf(d) !== "dir") return;
    const entries = (await Array.fromAsync(Deno.readDir(d))).sort((a, b) =>
      a.name.localeCompare(b.name)
    );
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name.startsWith("_")) continue;
      const path = join(d, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".parquet")) files.push(path);
    }
  };
  await walk(join(dir, "tiled_results"));
  return files;
}

function _barMsFromConfig(backtest: Record<string, unknown> | undefined): number | undefined {
  const text = backtest?.["backtest_config"];
  if (typeof text !== "string") return undefined;
  const period = text.split(".")[1];
  if (period === undefined) return undefined;
  try {
    return parseTimeframe(period);
  } catch {
    return undefined;
  }
}
