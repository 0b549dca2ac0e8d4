/**
 * The partitioned bar store (DESIGN §3): a directory
 * `asset_id=<id>/year=<Y>/month=<M>/data.parquet` (Y, M unpadded integers; a bar belongs to the
 * UTC year/month of its END `timestamp`, so the bar ending 2025-02-01T00:00Z is in month=2)
 * plus `store.meta.json` (`{format_version, exchange, timeframe, symbols: {asset_id: full_symbol}}`).
 * It grows incrementally: `writeStore` rewrites only the partitions it touches, each
 * atomically, merging with the rows already there (new rows win on the same bar). One writer
 * at a time. Reads open only the partitions that overlap the requested range and assets.
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { atomicWrite } from "../fs/mod.ts";
import { DataError, UsageError } from "../errors/mod.ts";
import { BAR_COLUMNS, formatTime, formatTimeframe, parseTimeframe } from "./bar_schema.ts";
import { exchangeOf } from "./asset_id.ts";
import { inferBarMs, validateBars } from "./validate_bars.ts";
import {
  _canonicalBars,
  _cell,
  _expectedDtype,
  _filterBars,
  _messageOf,
  _parseParquet,
  _readFileBytes,
} from "./_bars_frame.ts";

/** The store meta format written by this version. */
export const STORE_FORMAT_VERSION = 1;

/** The file name of a store's meta file, at the store's root. */
export const STORE_META_FILE = "store.meta.json";

/** One partition file of a store. */
export interface StorePartition {
  /** The partition's asset id. */
  assetId: number;
  /** UTC year of the bar END timestamps in it. */
  year: number;
  /** UTC month (1-12) of the bar END timestamps in it. */
  month: number;
  /** Path of its `data.parquet`. */
  path: string;
  /** Row count, when `listStorePartitions` was asked to count. */
  rows?: number;
}

/** The contents of `store.meta.json`. */
export interface StoreMeta {
  /** Meta format version (`STORE_FORMAT_VERSION`). */
  formatVersion: number;
  /** Exchange id(s), joined with `,`; empty when unknown. */
  exchange: string;
  /** Bar period of every bar in the store (`5m`). */
  timeframe: string;
  /** Full symbol of each asset id stored. */
  symbols: Map<number, string>;
}

/** Options of `writeStore`. */
export interface WriteStoreOptions {
  /** Bar period (`5m`). Default: inferred from the first bar, else (no bars) the store's. */
  timeframe?: string;
  /** Exchange id recorded in the meta. Default: the exchange part of the full symbols. */
  exchange?: string;
}

/** What `writeStore` did. */
export interface WriteStoreResult {
  /** The partitions written (created or replaced), with their new row counts. */
  partitions: StorePartition[];
  /** The store meta after the write. */
  meta: StoreMeta;
}

/** Options of `readStore`. */
export interface ReadStoreOptions {
  /** Keep bars with `timestamp > start` (epoch ms). Default: no lower bound. */
  start?: number | undefined;
  /** Keep bars with `timestamp <= end` (epoch ms). Default: no upper bound. */
  end?: number | undefined;
  /** Keep only these asset ids. Default: all. */
  assetIds?: readonly number[] | undefined;
  /** Validate the bars read (DESIGN §3). Default: true. */
  validate?: boolean | undefined;
}

/** Options of `listStorePartitions`. */
export interface ListStorePartitionsOptions {
  /** Also read each partition's row count (Parquet metadata only). Default: false. */
  countRows?: boolean;
}

/** Path of a partition file inside a store: `<dir>/asset_id=<id>/year=<Y>/month=<M>/data.parquet`. */
export function storePartitionPath(
  dir: string,
  key: Pick<StorePartition, "assetId" | "year" | "month">,
): string {
  return join(
    dir,
    `asset_id=${key.assetId}`,
    `year=${key.year}`,
    `month=${key.month}`,
    "data.parquet",
  );
}

/**
 * Validates `df` and merges it into the store at `dir` (created when missing): each affected
 * (asset, year, month) partition is rewritten atomically with the old rows plus the new ones
 * (a new row replaces an old one with the same (timestamp, asset_id)), then `store.meta.json`.
 * A timeframe different from the store's throws `DataError`.
 */
export async function writeStore(
  df: pl.DataFrame,
  dir: string,
  options: WriteStoreOptions = {},
): Promise<WriteStoreResult> {
  const existing = await readStoreMeta(dir);
  const barMs = options.timeframe !== undefined
    ? parseTimeframe(options.timeframe)
    : inferBarMs(df) ?? (existing === undefined ? undefined : parseTimeframe(existing.timeframe));
  if (barMs === undefined) {
    throw new UsageError(
      `Cannot write store ${dir}: no bars to infer the timeframe from; pass a timeframe`,
    );
  }
  const timeframe = formatTimeframe(barMs);
  if (existing !== undefined && parseTimeframe(existing.timeframe) !== barMs) {
    throw new DataError(
      `Cannot write store ${dir}: it holds ${existing.timeframe} bars, not ${timeframe}; ` +
        `use another store directory`,
    );
  }
  validateBars(df, { file: dir, barMs, context: `Cannot write store ${dir}` });
  const symbols = new Map(existing?.symbols ?? []);
  const pairs = df.lazy().select("asset_id", "full_symbol").unique().collectSync();
  const ids = pairs.getColumn("asset_id").toArray() as (number | bigint)[];
  const names = pairs.getColumn("full_symbol").toArray() as string[];
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    const fs = names[i] as string;
    const old = symbols.get(id);
    if (old !== undefined && old !== fs) {
      throw new DataError(
        `Cannot write store ${dir}: asset_id ${id} is ${old} in the store but ${fs} in the new bars`,
      );
    }
    symbols.set(id, fs);
  }
  const written: StorePartition[] = [];
  if (df.height > 0) {
    const keyed = _canonicalBars(df).withColumns(
      pl.col("timestamp").dt.year().cast(pl.Int32).alias("_year"),
      pl.col("timestamp").dt.month().cast(pl.Int32).alias("_month"),
    );
    for (const part of keyed.partitionBy(["asset_id", "_year", "_month"], true, true)) {
      const assetId = Number(_cell(part, "asset_id"));
      const year = Number(_cell(part, "_year"));
      const month = Number(_cell(part, "_month"));
      const path = storePartitionPath(dir, { assetId, year, month });
      let rows = part.drop("_year", "_month");
      const old = await _readPartitionIfAny(path, barMs);
      if (old !== undefined && old.height > 0) {
        const kept = old.join(rows.select("timestamp"), { on: "timestamp", how: "anti" });
        rows = pl.concat([kept, rows]).sort("timestamp");
      }
      await atomicWrite(path, rows.writeParquet({ compression: "zstd" }));
      written.push({ assetId, year, month, path, rows: rows.height });
    }
  }
  const exchange = options.exchange ??
    [...new Set([...symbols.values()].map(exchangeOf))].sort().join(",");
  const meta: StoreMeta = { formatVersion: STORE_FORMAT_VERSION, exchange, timeframe, symbols };
  await atomicWrite(join(dir, STORE_META_FILE), _storeMetaJson(meta));
  return { partitions: written, meta };
}

/**
 * Reads bars from the store at `dir`, opening only the partitions that overlap `(start, end]`
 * and `assetIds`; validates them (and that each row sits in its own partition) and returns
 * them sorted by (timestamp, asset_id). Failures are `DataError`s naming the partition file.
 */
export async function readStore(
  dir: string,
  options: ReadStoreOptions = {},
): Promise<pl.DataFrame> {
  const meta = await readStoreMeta(dir);
  const wanted = options.assetIds === undefined ? undefined : new Set(options.assetIds);
  const parts = (await listStorePartitions(dir)).filter((p) =>
    (wanted === undefined || wanted.has(p.assetId)) && _overlaps(p, options.start, options.end)
  );
  const barMs = meta === undefined ? undefined : parseTimeframe(meta.timeframe);
  const validate = options.validate ?? true;
  const frames: pl.DataFrame[] = [];
  for (const part of parts) {
    const bytes = await _readFileBytes(part.path, "store partition");
    const df = _parseParquet(bytes, { path: part.path, what: "store partition" });
    // A partition without the bar schema cannot be concatenated: report it by name.
    if (!_hasBarSchema(df)) _validatePartition(df, part, barMs);
    frames.push(df.select(...BAR_COLUMNS));
  }
  if (frames.length === 0) return _emptyBars();
  const all = (frames.length === 1 ? frames[0] as pl.DataFrame : pl.concat(frames)).rechunk();
  if (validate) _checkMembership(all, frames, parts);
  // Partitions are concatenated in ascending asset order, so a stable sort by timestamp
  // yields (timestamp, asset_id) order; `_canonicalBars` re-checks it.
  const sorted = all.sort("timestamp", false, false, true);
  if (validate) {
    try {
      validateBars(sorted, { file: dir, barMs, context: `Cannot load store ${dir}` });
    } catch (error) {
      // Name the partition file holding the first bad row.
      frames.forEach((f, i) => _validatePartition(f, parts[i] as StorePartition, barMs));
      throw error;
    }
  }
  return _canonicalBars(_filterBars(sorted, options));
}

/**
 * The partition files of the store at `dir`, sorted by (assetId, year, month). Entries not
 * named like partitions (and hidden temp files) are ignored. A missing directory throws
 * `DataError`.
 */
export async function listStorePartitions(
  dir: string,
  options: ListStorePartitionsOptions = {},
): Promise<StorePartition[]> {
  await _checkDir(dir);
  const out: StorePartition[] = [];
  for (const a of await _subdirs(dir, /^asset_id=(\d+)$/)) {
    for (const y of await _subdirs(a.path, /^year=(\d{4})$/)) {
      for (const m of await _subdirs(y.path, /^month=(\d{1,2})$/)) {
        const path = join(m.path, "data.parquet");
        const month = m.value;
        if (month < 1 || month > 12 || !(await _isFile(path))) continue;
        const part: StorePartition = { assetId: a.value, year: y.value, month, path };
        if (options.countRows) part.rows = _countRows(path);
        out.push(part);
      }
    }
  }
  return out.sort((p, q) => p.assetId - q.assetId || p.year - q.year || p.month - q.month);
}

/** Reads `<dir>/store.meta.json`; undefined when there is none. Malformed meta throws `DataError`. */
export async function readStoreMeta(dir: string): Promise<StoreMeta | undefined> {
  const path = join(dir, STORE_META_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new DataError(`Cannot load store meta ${path}: ${_messageOf(error)}`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new DataError(`Cannot load store meta ${path}: ${what}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(`Cannot load store meta ${path}: not valid JSON (${_messageOf(error)})`, {
      cause: error,
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail("not a JSON object");
  }
  const o = json as Record<string, unknown>;
  if (typeof o.format_version !== "number") return fail("format_version must be a number");
  if (o.format_version > STORE_FORMAT_VERSION) {
    return fail(`format_version ${o.format_version} is newer than this dagtrade reads`);
  }
  if (typeof o.timeframe !== "string") return fail("timeframe must be a string");
  try {
    parseTimeframe(o.timeframe);
  } catch (error) {
    throw new DataError(`Cannot load store meta ${path}: bad timeframe '${o.timeframe}'`, {
      cause: error,
    });
  }
  const symbols = new Map<number, string>();
  if (typeof o.symbols !== "object" || o.symbols === null || Array.isArray(o.symbols)) {
    return fail("symbols must be an object {asset_id: full_symbol}");
  }
  for (const [id, fs] of Object.entries(o.symbols as Record<string, unknown>)) {
    if (!/^\d+$/.test(id) || typeof fs !== "string") return fail(`bad symbols entry '${id}'`);
    symbols.set(Number(id), fs);
  }
  return {
    formatVersion: o.format_version,
    exchange: typeof o.exchange === "string" ? o.exchange : "",
    timeframe: o.timeframe,
    symbols,
  };
}

function _storeMetaJson(meta: StoreMeta): string {
  const symbols: Record<string, string> = {};
  for (const [id, fs] of [...meta.symbols].sort((a, b) => a[0] - b[0])) symbols[String(id)] = fs;
  return JSON.stringify(
    {
      format_version: meta.formatVersion,
      exchange: meta.exchange,
      timeframe: meta.timeframe,
      symbols,
    },
    null,
    2,
  ) + "\n";
}

async function _readPartitionIfAny(path: string, barMs: number): Promise<pl.DataFrame | undefined> {
  if (!(await _isFile(path))) return undefined;
  const df = _parseParquet(await _readFileBytes(path, "store partition"), {
    path,
    what: "store partition",
  });
  validateBars(df, { file: path, barMs, context: `Cannot load store partition ${path}` });
  return _canonicalBars(df);
}

function _validatePartition(
  df: pl.DataFrame,
  part: StorePartition,
  barMs: number | undefined,
): void {
  validateBars(df, { file: part.path, barMs, context: `Cannot load store partition ${part.path}` });
  _checkMembership(df, [df], [part]);
}

function _hasBarSchema(df: pl.DataFrame): boolean {
  const schema = df.schema as Record<string, pl.DataType>;
  return BAR_COLUMNS.every((c) => schema[c] !== undefined && _expectedDtype(c).equals(schema[c]));
}

/** Every row of `all` (the concatenation of `frames`) must sit in its own partition. */
function _checkMembership(
  all: pl.DataFrame,
  frames: readonly pl.DataFrame[],
  parts: readonly StorePartition[],
): void {
  const index = new Int32Array(all.height);
  let offset = 0;
  frames.forEach((f, i) => {
    index.fill(i, offset, offset + f.height);
    offset += f.height;
  });
  const ts = pl.col("timestamp").cast(pl.Int64);
  const stats = all.select("asset_id", "timestamp")
    .withColumn(pl.Series("_p", index))
    .lazy()
    .select(pl.col("_p"), pl.col("asset_id"), ts.alias("_t"))
    .groupBy("_p")
    .agg(
      pl.col("asset_id").min().cast(pl.Float64).alias("amin"),
      pl.col("asset_id").max().cast(pl.Float64).alias("amax"),
      pl.col("_t").min().cast(pl.Float64).alias("tmin"),
      pl.col("_t").max().cast(pl.Float64).alias("tmax"),
    )
    .collectSync();
  const column = (c: string) => stats.getColumn(c).cast(pl.Float64).toArray() as (number | null)[];
  const [ps, amins, amaxs, tmins, tmaxs] = ["_p", "amin", "amax", "tmin", "tmax"].map(column) as [
    (number | null)[],
    (number | null)[],
    (number | null)[],
    (number | null)[],
    (number | null)[],
  ];
  for (let r = 0; r < stats.height; r++) {
    const p = ps[r] as number;
    const part = parts[p] as StorePartition;
    const first = Date.UTC(part.year, part.month - 1, 1);
    const next = Date.UTC(part.year, part.month, 1);
    const [amin, amax, tmin, tmax] = [amins[r], amaxs[r], tmins[r], tmaxs[r]];
    const assetOk = amin == null || (amin === part.assetId && amax === part.assetId);
    const timeOk = tmin == null || tmax == null || (tmin >= first && tmax < next);
    if (assetOk && timeOk) continue;
    const row = (frames[p] as pl.DataFrame).lazy().filter(
      pl.col("asset_id").neq(pl.lit(part.assetId).cast(pl.Int64))
        .or(ts.lt(first)).or(ts.gtEq(next)),
    ).head(1).collectSync();
    const t = _cell(row.withColumns(pl.col("timestamp").cast(pl.Float64)), "timestamp") as number;
    throw new DataError(
      `Cannot load store partition ${part.path}: row ${formatTime(t)} ${
        _cell(row, "full_symbol")
      }: ` +
        `row is not in its partition (asset_id=${part.assetId}/year=${part.year}/month=${part.month})`,
    );
  }
}

function _overlaps(p: StorePartition, start: number | undefined, end: number | undefined): boolean {
  const first = Date.UTC(p.year, p.month - 1, 1);
  const last = Date.UTC(p.year, p.month, 1) - 1;
  return (start === undefined || last > start) && (end === undefined || first <= end);
}

function _emptyBars(): pl.DataFrame {
  const time = (name: string) => pl.Series(name, [], pl.Int64).cast(pl.Datetime("ms", "UTC"));
  return pl.DataFrame([
    time("timestamp"),
    time("start_timestamp"),
    pl.Series("asset_id", [], pl.Int64),
    pl.Series("full_symbol", [], pl.String),
    ...["open", "high", "low", "close", "volume"].map((c) => pl.Series(c, [], pl.Float64)),
    time("knowledge_timestamp"),
  ]);
}

function _countRows(path: string): number {
  try {
    const df = pl.scanParquet(path).select(pl.len().alias("n")).collectSync();
    return Number(_cell(df, "n"));
  } catch (error) {
    throw new DataError(
      `Cannot load store partition ${path}: not a readable Parquet file (${
        _messageOf(error)
      }); re-create it`,
      { cause: error },
    );
  }
}

async function _checkDir(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "directory not found"
      : _messageOf(error);
    throw new DataError(`Cannot load store ${dir}: ${reason}`, { cause: error });
  }
  if (!info.isDirectory) throw new DataError(`Cannot load store ${dir}: not a directory`);
}

async function _subdirs(dir: string, pattern: RegExp): Promise<{ path: string; value: number }[]> {
  const out: { path: string; value: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = pattern.exec(entry.name);
    if (match && entry.isDirectory) {
      out.push({ path: join(dir, entry.name), value: Number(match[1]) });
    }
  }
  return out;
}

async function _isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
