/**
 * The market data of a backtest: what a snapshot or store holds (symbols, bar period, range)
 * learned without loading it, and bounded loads of `(start, end]` × assets for one tile. A
 * store scans only the partitions a tile overlaps; a Parquet snapshot is scanned with the
 * time/asset predicate pushed down (its sha256 is checked once, by `describeBacktestData`);
 * a CSV snapshot is read whole on every load (convert big data to Parquet or a store). Loaded
 * bars are validated against the bar contract (`validateBars`). Loads are collected on Polars'
 * threads, so a caller can prepare the next load while it works on the last one.
 */
import { createHash } from "node:crypto";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import {
  assetIdOf,
  BAR_COLUMNS,
  inferBarMs,
  listStorePartitions,
  parseTimeframe,
  readBars,
  readSnapshotMeta,
  readStoreMeta,
  snapshotFormatOf,
  validateBars,
} from "../sim/mod.ts";
import { _messageOf } from "./_format.ts";

/** What a backtest's data source holds. */
export interface BacktestData {
  /** The path as given. */
  readonly path: string;
  /** `store` (a directory) or the snapshot's format. */
  readonly kind: "store" | "parquet" | "csv" | "csv.gz";
  /** Full symbols present, sorted. */
  readonly symbols: readonly string[];
  /** The bar period, ms. */
  readonly barMs: number;
  /** The first bar end, epoch ms (undefined without bars). */
  readonly first: number | undefined;
  /** The last bar end, epoch ms (undefined without bars). */
  readonly last: number | undefined;
  /** The snapshot's sha256 from its meta file (undefined for stores and meta-less snapshots). */
  readonly sha256: string | undefined;
}

/** Options of `describeBacktestData`. */
export interface DescribeBacktestDataOptions {
  /** Check a snapshot's bytes against the sha256 of its meta file (streamed). Default: true. */
  verify?: boolean;
}

/**
 * Describes the snapshot file or store directory at `path` from its meta file (a store: its
 * partition listing and the first/last partitions; a meta-less Parquet snapshot: a scan of
 * its key columns). Throws `DataError` naming the path when it cannot be read.
 */
export async function describeBacktestData(
  path: string,
  options: DescribeBacktestDataOptions = {},
): Promise<BacktestData> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new DataError(
      `Cannot load bars from ${path}: ${
        error instanceof Deno.errors.NotFound ? "no such file or directory" : _messageOf(error)
      } (expected a snapshot file .parquet, .csv, .csv.gz or a store directory)`,
      { cause: error },
    );
  }
  if (info.isDirectory) return await _describeStore(path);
  const kind = snapshotFormatOf(path);
  if (kind === undefined) {
    throw new DataError(
      `Cannot load snapshot ${path}: unknown file type; accepted: .parquet, .csv, .csv.gz, or a store directory`,
    );
  }
  const meta = await readSnapshotMeta(path);
  if (meta !== undefined && (options.verify ?? true)) {
    const sha = await _sha256File(path);
    if (sha !== meta.sha256) {
      throw new DataError(
        `Cannot load snapshot ${path}: snapshot ${path} does not match its meta file (sha256); re-create it`,
      );
    }
  }
  if (meta !== undefined) {
    return {
      path,
      kind,
      symbols: [...meta.symbols].sort(),
      barMs: parseTimeframe(meta.timeframe),
      first: meta.delivered === null
        ? undefined
        : meta.delivered.start + parseTimeframe(meta.timeframe),
      last: meta.delivered === null ? undefined : meta.delivered.end,
      sha256: meta.sha256,
    };
  }
  // No meta file: learn the same from the data itself.
  const keys = kind === "parquet"
    ? _scan(
      path,
      () =>
        pl.scanParquet(path).select("timestamp", "start_timestamp", "full_symbol").collectSync(),
    )
    : (await readBars(path)).select("timestamp", "start_timestamp", "full_symbol");
  return { path, kind, ..._describeKeys(keys, path), sha256: undefined };
}

/** Options of `loadBacktestBars` and `loadBacktestPrices`. */
export interface LoadBacktestBarsOptions {
  /** Keep bars ending after this time, epoch ms. Required. */
  start: number;
  /** Keep bars ending at or before this time, epoch ms. Required. */
  end: number;
  /** Keep these assets. Required. */
  assetIds: readonly number[];
}

/**
 * Loads, validates and sorts the bars of `(start, end]` × `assetIds` from the data (the bar
 * contract's columns in canonical order, sorted by (timestamp, asset_id)). Invalid bars throw
 * `DataError` naming the file or store.
 */
export async function loadBacktestBars(
  data: BacktestData,
  options: LoadBacktestBarsOptions,
): Promise<pl.DataFrame> {
  if (data.kind === "csv" || data.kind === "csv.gz") return await _readCsvBars(data, options);
  const df = await _scanBars(data, options, BAR_COLUMNS);
  const context = data.kind === "store" ? `Cannot load store ${data.path}` : undefined;
  validateBars(df, {
    file: data.path,
    barMs: data.barMs,
    ...(context === undefined ? {} : { context }),
  });
  return data.kind === "store"
    // Partitions come in ascending asset order: a stable sort by time gives (timestamp, asset_id).
    ? df.sort("timestamp", false, false, true)
    : df.sort(["timestamp", "asset_id"]);
}

/** The columns `loadBacktestPrices` returns. */
export const PRICE_BAR_COLUMNS = [
  "timestamp",
  "asset_id",
  "open",
  "high",
  "low",
  "close",
  "volume",
] as const;

/**
 * Loads only `PRICE_BAR_COLUMNS` of `(start, end]` × `assetIds`, without validating them (the
 * tiles validated every bar of the backtest range when they loaded it): what the forecast
 * evaluator needs to mark and fill. Each asset's rows are in time order; the frame is not
 * sorted across assets.
 */
export async function loadBacktestPrices(
  data: BacktestData,
  options: LoadBacktestBarsOptions,
): Promise<pl.DataFrame> {
  if (data.kind === "csv" || data.kind === "csv.gz") {
    return (await _readCsvBars(data, options)).select(...PRICE_BAR_COLUMNS);
  }
  return await _scanBars(data, options, PRICE_BAR_COLUMNS);
}

async function _readCsvBars(
  data: BacktestData,
  options: LoadBacktestBarsOptions,
): Promise<pl.DataFrame> {
  const wanted = new Set(options.assetIds);
  const symbols = data.symbols.filter((s) => wanted.has(assetIdOf(s)));
  return await readBars(data.path, { start: options.start, end: options.end, symbols });
}

/** Scans a Parquet snapshot, or the store partitions overlapping the range, with the predicate pushed down. */
async function _scanBars(
  data: BacktestData,
  options: LoadBacktestBarsOptions,
  columns: readonly string[],
): Promise<pl.DataFrame> {
  const { start, end, assetIds } = options;
  const lit = (ms: number) => pl.lit(ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const time = pl.col("timestamp").gt(lit(start)).and(pl.col("timestamp").ltEq(lit(end)));
  if (data.kind !== "store") {
    const ids = assetIds.map((id) => pl.col("asset_id").eq(pl.lit(id).cast(pl.Int64)));
    const predicate = time.and(ids.length === 0 ? pl.lit(false) : ids.reduce((a, b) => a.or(b)));
    return await _scanAsync(
      data.path,
      () => pl.scanParquet(data.path).filter(predicate).select(...columns).collect(),
    );
  }
  // A store partition month m holds the bars ending in [m start, next month start).
  const wanted = new Set(assetIds);
  const lo = _monthKey(start);
  const hi = _monthKey(end);
  const parts = (await listStorePartitions(data.path)).filter((p) => {
    const key = p.year * 12 + p.month - 1;
    return wanted.has(p.assetId) && key >= lo && key <= hi;
  });
  if (parts.length === 0) return pl.DataFrame(columns.map((c) => pl.Series(c, [], _dtypeOf(c))));
  // One lazy query over every partition: Polars reads them in parallel and frees what it drops.
  return await _scanAsync(
    data.path,
    () =>
      pl.concat(parts.map((p) => pl.scanParquet(p.path)), { how: "vertical", rechunk: true })
        .filter(time).select(...columns).collect(),
  );
}

function _monthKey(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function _dtypeOf(column: string): pl.DataType {
  if (column.endsWith("timestamp")) return pl.Datetime("ms", "UTC");
  if (column === "asset_id") return pl.Int64;
  if (column === "full_symbol") return pl.String;
  return pl.Float64;
}

async function _describeStore(dir: string): Promise<BacktestData> {
  const meta = await readStoreMeta(dir);
  const parts = await listStorePartitions(dir);
  if (parts.length === 0) {
    if (meta === undefined) {
      throw new DataError(
        `Cannot load store ${dir}: it holds no partitions and no store.meta.json`,
      );
    }
    return {
      path: dir,
      kind: "store",
      symbols: [...meta.symbols.values()].sort(),
      barMs: parseTimeframe(meta.timeframe),
      first: undefined,
      last: undefined,
      sha256: undefined,
    };
  }
  const key = (p: { year: number; month: number }) => p.year * 12 + p.month;
  const lo = Math.min(...parts.map(key));
  const hi = Math.max(...parts.map(key));
  const edges = parts.filter((p) => key(p) === lo || key(p) === hi).map((p) =>
    _scan(
      p.path,
      () =>
        pl.scanParquet(p.path).select(
          pl.col("timestamp").min().cast(pl.Int64).cast(pl.Float64).alias("first"),
          pl.col("timestamp").max().cast(pl.Int64).cast(pl.Float64).alias("last"),
        ).collectSync(),
    )
  );
  const firsts = edges.map((e) => e.getColumn("first").toArray()[0] as number | null);
  const lasts = edges.map((e) => e.getColumn("last").toArray()[0] as number | null);
  let symbols: string[];
  let barMs: number;
  if (meta !== undefined) {
    symbols = [...meta.symbols.values()].sort();
    barMs = parseTimeframe(meta.timeframe);
  } else {
    // A meta-less store: one row of each asset's first partition names its symbol.
    const firstOf = new Map<number, string>();
    for (const p of parts) if (!firstOf.has(p.assetId)) firstOf.set(p.assetId, p.path);
    const heads = [...firstOf.values()].map((path) =>
      _scan(
        path,
        () =>
          pl.scanParquet(path).select("timestamp", "start_timestamp", "full_symbol").head(1)
            .collectSync(),
      )
    );
    const described = _describeKeys(pl.concat(heads), dir);
    symbols = [...described.symbols];
    barMs = described.barMs;
  }
  const finite = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  return {
    path: dir,
    kind: "store",
    symbols,
    barMs,
    first: Math.min(...finite(firsts)),
    last: Math.max(...finite(lasts)),
    sha256: undefined,
  };
}

function _describeKeys(
  keys: pl.DataFrame,
  path: string,
): { symbols: string[]; barMs: number; first: number | undefined; last: number | undefined } {
  const barMs = inferBarMs(keys);
  if (barMs === undefined || !(barMs > 0)) {
    throw new DataError(
      `Cannot load bars from ${path}: cannot tell the bar period (no bars, and no meta file to say it)`,
    );
  }
  const ts = keys.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
  let first = Infinity;
  let last = -Infinity;
  for (const t of ts) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return {
    symbols: (keys.getColumn("full_symbol").unique().toArray() as string[]).sort(),
    barMs,
    first: ts.length === 0 ? undefined : first,
    last: ts.length === 0 ? undefined : last,
  };
}

function _scan(path: string, read: () => pl.DataFrame): pl.DataFrame {
  try {
    return read();
  } catch (error) {
    throw new DataError(
      `Cannot load bars from ${path}: not a readable bar Parquet file (${
        _messageOf(error)
      }); re-create it`,
      { cause: error },
    );
  }
}

/** `_scan` of a query collected on Polars' threads (the caller's thread is free meanwhile). */
async function _scanAsync(path: string, read: () => Promise<pl.DataFrame>): Promise<pl.DataFrame> {
  try {
    return await read();
  } catch (error) {
    throw new DataError(
      `Cannot load bars from ${path}: not a readable bar Parquet file (${
        _messageOf(error)
      }); re-create it`,
      { cause: error },
    );
  }
}

async function _sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
