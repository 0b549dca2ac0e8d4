/**
 * Private helpers shared by the market-data readers and writers of `lib/sim`: canonical
 * column order and sort, frame slicing by time, and Polars/OS error translation.
 */
import pl from "nodejs-polars";
import { BAR_COLUMNS } from "./bar_schema.ts";
import { DataError } from "../errors/mod.ts";

/** The Polars type the bar contract expects for each column. */
export function _expectedDtype(column: string): pl.DataType {
  if (column === "timestamp" || column === "start_timestamp" || column === "knowledge_timestamp") {
    return pl.Datetime("ms", "UTC");
  }
  if (column === "asset_id") return pl.Int64;
  if (column === "full_symbol") return pl.String;
  return pl.Float64;
}

/** A readable name of a Polars type (`Datetime(ms,UTC)`, `Float64`, `String`). */
export function _dtypeName(dtype: pl.DataType): string {
  return String(dtype).replace(/^DataType\((.*)\)$/, "$1");
}

/** Whether the frame is strictly increasing in (timestamp, asset_id): sorted and unique. */
export function _isStrictlySorted(df: pl.DataFrame): boolean {
  if (df.height < 2) return true;
  const dt = pl.col("timestamp").cast(pl.Int64).diff(1, "ignore");
  const da = pl.col("asset_id").diff(1, "ignore");
  const out = df.lazy().select(
    dt.lt(0).or(dt.eq(0).and(da.ltEq(0))).fillNull(false).any().alias("bad"),
  ).collectSync();
  return _cell(out, "bad") === false;
}

/** The frame with exactly the bar columns in canonical order, sorted by (timestamp, asset_id). */
export function _canonicalBars(df: pl.DataFrame): pl.DataFrame {
  const same = df.columns.length === BAR_COLUMNS.length &&
    df.columns.every((c, i) => c === BAR_COLUMNS[i]);
  const selected = same ? df : df.select(...BAR_COLUMNS);
  if (_isStrictlySorted(selected)) return selected;
  // Two stable single-key sorts beat one two-key sort about twofold in Polars.
  return selected.rechunk()
    .sort("asset_id", false, false, true)
    .sort("timestamp", false, false, true);
}

/**
 * An Int64 literal. Polars literals from JS numbers are Float64, and Int64 ⊕ Float64 is
 * Float64 (float modulo is inexact): integer arithmetic on times needs this.
 */
export function _int(n: number): pl.Expr {
  return pl.lit(n).cast(pl.Int64);
}

/** A `Datetime("ms","UTC")` literal for comparisons in Polars expressions. */
export function _timeLit(ms: number): pl.Expr {
  return pl.lit(ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

/** Options of `_filterBars`. */
export interface _FilterBarsOptions {
  /** Keep bars with `timestamp > start`. Default: no lower bound. */
  start?: number | undefined;
  /** Keep bars with `timestamp <= end`. Default: no upper bound. */
  end?: number | undefined;
  /** Keep only these asset ids. Default: all. */
  assetIds?: readonly number[] | undefined;
}

/** The `(start, end]` / asset predicate of a read, or undefined when it keeps everything. */
export function _barsPredicate(options: _FilterBarsOptions): pl.Expr | undefined {
  const parts: pl.Expr[] = [];
  if (options.start !== undefined) parts.push(pl.col("timestamp").gt(_timeLit(options.start)));
  if (options.end !== undefined) parts.push(pl.col("timestamp").ltEq(_timeLit(options.end)));
  if (options.assetIds !== undefined) {
    const ids = options.assetIds.map((id) => pl.col("asset_id").eq(pl.lit(id).cast(pl.Int64)));
    parts.push(ids.length === 0 ? pl.lit(false) : ids.reduce((a, b) => a.or(b)));
  }
  return parts.length === 0 ? undefined : parts.reduce((a, b) => a.and(b));
}

/** Bars with timestamp in `(start, end]` and asset in `assetIds` (each bound optional). */
export function _filterBars(df: pl.DataFrame, options: _FilterBarsOptions): pl.DataFrame {
  const predicate = _barsPredicate(options);
  return predicate === undefined ? df : df.filter(predicate);
}

/** The message of any thrown value, on one line. */
export function _messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.trim() ?? text;
}

/** Reads a whole file, turning a missing/unreadable/empty file into `DataError` (`what` names it). */
export async function _readFileBytes(path: string, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : _messageOf(error);
    throw new DataError(`Cannot load ${what} ${path}: ${reason}`, { cause: error });
  }
  if (bytes.length === 0) throw new DataError(`Cannot load ${what} ${path}: the file is empty`);
  return bytes;
}

/** Parses Parquet bytes, turning a Polars failure into `DataError` naming the file. */
export function _parseParquet(
  bytes: Uint8Array,
  where: { path: string; what: string },
): pl.DataFrame {
  const { path, what } = where;
  try {
    return pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new DataError(
      `Cannot load ${what} ${path}: not a readable Parquet file (${_messageOf(error)}); ` +
        `re-create it`,
      { cause: error },
    );
  }
}

/** The value of `column` in row `row` (default the first) of a frame; `Series.get` fails on some types. */
export function _cell(df: pl.DataFrame, column: string, row = 0): unknown {
  return df.getColumn(column).slice(row, 1).toArray()[0];
}
