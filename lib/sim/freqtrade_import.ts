/**
 * Import of freqtrade candle files (its `user_data/data/<exchange>/` layout:
 * `<BASE>_<QUOTE>-<timeframe>.feather|.parquet|.json|.json.gz`, spot pairs only) into the bar
 * contract. freqtrade stamps a candle with its OPEN time (`date`); here a bar is stamped with
 * its END: `timestamp = date + timeframe`, `start_timestamp = date`.
 */
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";
import { formatTimeframe, parseTimeframe } from "./bar_schema.ts";
import { assetIdOf, fullSymbolOf } from "./asset_id.ts";
import { validateBars } from "./validate_bars.ts";
import {
  _canonicalBars,
  _filterBars,
  _int,
  _messageOf,
  _parseParquet,
  _readFileBytes,
} from "./_bars_frame.ts";

/** Options of `importFreqtradeDir`. */
export interface FreqtradeImportOptions {
  /** Exchange id of the full symbols made (`binance::BTC_USDT`). Default: `binance`. */
  exchange?: string;
  /**
   * Pairs to import: `BTC/USDT`, `BTC_USDT` or full symbols. An unknown one throws
   * `DataError` listing the files found. Default: every pair found at the timeframe.
   */
  symbols?: readonly string[] | undefined;
  /** Keep bars with END `timestamp > start` (epoch ms). Default: no lower bound. */
  start?: number | undefined;
  /** Keep bars with END `timestamp <= end` (epoch ms). Default: no upper bound. */
  end?: number | undefined;
  /** Timeframe to import (`5m`). Default: the only one found; several found is a `UsageError`. */
  timeframe?: string | undefined;
  /** `knowledge_timestamp = timestamp + knowledgeDelayMs`. Default: 0. */
  knowledgeDelayMs?: number;
}

/** What `importFreqtradeDir` returns. */
export interface FreqtradeImport {
  /** The bars of every imported pair, bar contract, sorted by (timestamp, asset_id). */
  bars: pl.DataFrame;
  /** The timeframe imported (`5m`). */
  timeframe: string;
  /** Full symbols imported, sorted. */
  symbols: string[];
}

interface _CandleFile {
  path: string;
  name: string;
  pair: string;
  timeframe: string;
  barMs: number;
  ext: string;
}

const _FILE = /^([A-Za-z0-9]+)_([A-Za-z0-9]+)-(\d+[smhdwM])\.(feather|parquet|json|json\.gz)$/;
/** When a pair has several files at one timeframe, the first format in this list wins. */
const _PREFERENCE = ["feather", "parquet", "json", "json.gz"];

/**
 * Reads the freqtrade candle files of `dir` and returns their bars in the bar contract
 * (validated; `asset_id` from the full symbol; `knowledge_timestamp = timestamp + delay`).
 * No candle file, or a requested pair without a file, throws `DataError`.
 */
export async function importFreqtradeDir(
  dir: string,
  options: FreqtradeImportOptions = {},
): Promise<FreqtradeImport> {
  const exchange = options.exchange ?? "binance";
  const all = await _listCandleFiles(dir);
  if (all.length === 0) {
    throw new DataError(
      `Cannot import freqtrade data from ${dir}: no candle files named like ` +
        `BTC_USDT-5m.feather (.feather, .parquet, .json, .json.gz)`,
    );
  }
  let barMs: number;
  if (options.timeframe !== undefined) {
    barMs = parseTimeframe(options.timeframe);
  } else {
    const found = [...new Set(all.map((f) => f.barMs))];
    if (found.length !== 1) {
      throw new UsageError(
        `Cannot import freqtrade data from ${dir}: several timeframes found (${
          found.map(formatTimeframe).join(", ")
        }); choose one with a timeframe option`,
      );
    }
    barMs = found[0] as number;
  }
  const timeframe = formatTimeframe(barMs);
  const byPair = new Map<string, _CandleFile>();
  for (const f of all.filter((f) => f.barMs === barMs)) {
    const old = byPair.get(f.pair);
    if (!old || _PREFERENCE.indexOf(f.ext) < _PREFERENCE.indexOf(old.ext)) byPair.set(f.pair, f);
  }
  const filesFound = all.map((f) => f.name).sort().join(", ");
  if (byPair.size === 0) {
    throw new DataError(
      `Cannot import freqtrade data from ${dir}: no ${timeframe} candle files; files found: ${filesFound}`,
    );
  }
  let pairs = [...byPair.keys()].sort();
  if (options.symbols !== undefined) {
    pairs = options.symbols.map((s) => {
      const text = s.trim();
      const pair = (text.includes("::") ? text.slice(text.indexOf("::") + 2) : text)
        .toUpperCase().replace("/", "_");
      if (!byPair.has(pair) || (text.includes("::") && !text.startsWith(`${exchange}::`))) {
        throw new DataError(
          `Cannot import '${s}' from ${dir}: no ${timeframe} freqtrade file for it ` +
            `(expected ${pair}-${timeframe}.feather); files found: ${filesFound}`,
        );
      }
      return pair;
    });
    pairs = [...new Set(pairs)];
  }
  const frames: pl.DataFrame[] = [];
  const symbols: string[] = [];
  for (const pair of pairs) {
    const file = byPair.get(pair) as _CandleFile;
    const fullSymbol = fullSymbolOf(exchange, pair);
    const candles = await _readCandles(file);
    const bars = _toBars(candles, file, fullSymbol, barMs, options.knowledgeDelayMs ?? 0);
    validateBars(bars, {
      file: file.path,
      barMs,
      context: `Cannot import freqtrade file ${file.path}`,
    });
    frames.push(_filterBars(bars, { start: options.start, end: options.end }));
    symbols.push(fullSymbol);
  }
  const bars = _canonicalBars(frames.length === 1 ? frames[0] as pl.DataFrame : pl.concat(frames));
  return { bars, timeframe, symbols: symbols.sort() };
}

async function _listCandleFiles(dir: string): Promise<_CandleFile[]> {
  const out: _CandleFile[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = _FILE.exec(entry.name);
      if (!match || !entry.isFile) continue;
      let barMs: number;
      try {
        barMs = parseTimeframe(match[3] as string);
      } catch {
        continue; // a timeframe dagtrade has no bars for (e.g. 1M)
      }
      out.push({
        path: join(dir, entry.name),
        name: entry.name,
        pair: `${(match[1] as string).toUpperCase()}_${(match[2] as string).toUpperCase()}`,
        timeframe: match[3] as string,
        barMs,
        ext: match[4] as string,
      });
    }
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "directory not found"
      : _messageOf(error);
    throw new DataError(`Cannot import freqtrade data from ${dir}: ${reason}`, { cause: error });
  }
  return out;
}

async function _readCandles(file: _CandleFile): Promise<pl.DataFrame> {
  const bytes = await _readFileBytes(file.path, "freqtrade file");
  if (file.ext === "parquet") {
    return _parseParquet(bytes, { path: file.path, what: "freqtrade file" });
  }
  if (file.ext === "feather") {
    try {
      return pl.readIPC(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new DataError(
        `Cannot load freqtrade file ${file.path}: not a readable Feather (Arrow IPC) file ` +
          `(${_messageOf(error)})`,
        { cause: error },
      );
    }
  }
  let text: string;
  try {
    text = new TextDecoder().decode(file.ext === "json.gz" ? gunzipSync(bytes) : bytes);
  } catch (error) {
    throw new DataError(`Cannot load freqtrade file ${file.path}: not a readable gzip file`, {
      cause: error,
    });
  }
  return _parseJsonCandles(text, file.path);
}

/** freqtrade's JSON layout: `[[open_time_ms, open, high, low, close, volume], ...]`. */
function _parseJsonCandles(text: string, path: string): pl.DataFrame {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      `Cannot load freqtrade file ${path}: not valid JSON (${_messageOf(error)})`,
      {
        cause: error,
      },
    );
  }
  if (!Array.isArray(rows)) {
    throw new DataError(`Cannot load freqtrade file ${path}: expected a JSON array of candles`);
  }
  const n = rows.length;
  const cols = Array.from({ length: 6 }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const row: unknown = rows[i];
    if (!Array.isArray(row) || row.length < 6) {
      throw new DataError(
        `Cannot load freqtrade file ${path}: candle ${i} is not [time, open, high, low, close, volume]`,
      );
    }
    for (let j = 0; j < 6; j++) {
      const v: unknown = row[j];
      if (typeof v !== "number") {
        throw new DataError(
          `Cannot load freqtrade file ${path}: candle ${i} field ${j} is not a number`,
        );
      }
      (cols[j] as Float64Array)[i] = v;
    }
  }
  const [date, open, high, low, close, volume] = cols as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return pl.DataFrame([
    pl.Series("date", date).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
    pl.Series("open", open),
    pl.Series("high", high),
    pl.Series("low", low),
    pl.Series("close", close),
    pl.Series("volume", volume),
  ]);
}

function _toBars(
  candles: pl.DataFrame,
  file: _CandleFile,
  fullSymbol: string,
  barMs: number,
  delayMs: number,
): pl.DataFrame {
  const schema = candles.schema as Record<string, pl.DataType>;
  for (const c of ["date", "open", "high", "low", "close", "volume"]) {
    const dtype = schema[c];
    if (dtype === undefined) {
      throw new DataError(
        `Cannot load freqtrade file ${file.path}: missing column ${c}; columns found: ${
          candles.columns.join(", ")
        }`,
      );
    }
    const ok = c === "date" ? dtype.variant === "Datetime" : _isNumeric(dtype.variant);
    if (!ok) {
      throw new DataError(
        `Cannot load freqtrade file ${file.path}: column ${c} has type ${dtype.variant}, expected ${
          c === "date" ? "Datetime (UTC)" : "Float64"
        }`,
      );
    }
  }
  const openMs = pl.col("date").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64);
  const time = (e: pl.Expr) => e.cast(pl.Datetime("ms", "UTC"));
  return candles.select(
    time(openMs.add(_int(barMs))).alias("timestamp"),
    time(openMs).alias("start_timestamp"),
    pl.lit(assetIdOf(fullSymbol)).cast(pl.Int64).alias("asset_id"),
    pl.lit(fullSymbol).cast(pl.String).alias("full_symbol"),
    ...["open", "high", "low", "close", "volume"].map((c) => pl.col(c).cast(pl.Float64).alias(c)),
    time(openMs.add(_int(barMs + delayMs))).alias("knowledge_timestamp"),
  );
}

function _isNumeric(variant: string): boolean {
  return /^(Float|Int|UInt)\d+$/.test(variant);
}
