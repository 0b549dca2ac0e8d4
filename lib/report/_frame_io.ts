/**
 * Private helpers of the report readers: file probes, Parquet/CSV reads that fail with a
 * `DataError` naming the file and what to do, and column access as typed arrays (times as
 * epoch ms whatever their stored type).
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { upperBound } from "../frame/mod.ts";

/** The message of any thrown value. */
export function _messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `value` as a plain object, or undefined. */
export function _object(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** What is at `path`: a file, a directory, or nothing. */
export async function _kindOf(path: string): Promise<"file" | "dir" | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isDirectory ? "dir" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new DataError(`Cannot read ${path}: ${_messageOf(error)}`, { cause: error });
  }
}

/** Reads a Parquet file; a missing or unreadable file is a `DataError` with `hint` appended. */
export function _readParquet(path: string, what: string, hint: string): pl.DataFrame {
  try {
    return pl.readParquet(path);
  } catch (error) {
    throw new DataError(
      `Cannot read ${what} ${path}: not a readable Parquet file (${
        _firstLine(_messageOf(error))
      }); ${hint}`,
      { cause: error },
    );
  }
}

/** Reads a CSV file with a header; an unreadable file is a `DataError` with `hint` appended. */
export function _readCsv(path: string, what: string, hint: string): pl.DataFrame {
  try {
    return pl.readCSV(path, { hasHeader: true });
  } catch (error) {
    throw new DataError(
      `Cannot read ${what} ${path}: not a readable CSV file (${
        _firstLine(_messageOf(error))
      }); ${hint}`,
      { cause: error },
    );
  }
}

/** Reads and parses a JSON file; a missing or malformed file is a `DataError`. */
export async function _readJson(path: string, what: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : _messageOf(error);
    throw new DataError(`Cannot read ${what} ${path}: ${reason}; ${hint}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(
      `Cannot read ${what} ${path}: malformed JSON (${_messageOf(error)}); ${hint}`,
      { cause: error },
    );
  }
}

/** Throws `DataError` when `df` lacks one of `columns`. */
export function _requireColumns(
  df: pl.DataFrame,
  columns: readonly string[],
  where: string,
  hint: string,
): void {
  const present = new Set(df.columns);
  const missing = columns.filter((c) => !present.has(c));
  if (missing.length > 0) {
    throw new DataError(
      `${where}: no column ${missing.map((m) => `'${m}'`).join(", ")} (columns: ${
        df.columns.join(", ")
      }); ${hint}`,
    );
  }
}

/**
 * A time column as epoch ms: Datetime of any unit (a zone-less one is read as UTC), integer or
 * float epoch ms, or ISO strings. Nulls and unparsable strings are a `DataError`.
 */
export function _timeMs(df: pl.DataFrame, column: string, where: string): Float64Array {
  const series = df.getColumn(column);
  const dtype = series.dtype;
  let out: Float64Array;
  if (dtype.variant === "Datetime") {
    const zone = (dtype.inner as unknown[])[1];
    out = series.cast(pl.Datetime("ms", typeof zone === "string" ? zone : undefined)).cast(
      pl.Float64,
    ).toTypedArray() as Float64Array;
  } else if (dtype.variant === "String" || dtype.variant === "Utf8") {
    const values = series.toArray() as (string | null)[];
    const cache = new Map<string, number>();
    out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        out[i] = NaN;
        continue;
      }
      let ms = cache.get(v);
      if (ms === undefined) {
        ms = /^\d{10,14}$/.test(v.trim()) ? Number(v) : Date.parse(_asUtc(v.trim()));
        cache.set(v, ms);
      }
      out[i] = ms;
    }
  } else {
    try {
      out = series.cast(pl.Float64).toTypedArray() as Float64Array;
    } catch (error) {
      throw new DataError(`${where}: column '${column}' is ${String(dtype)}, not a time`, {
        cause: error,
      });
    }
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i] as number)) {
      throw new DataError(
        `${where}: column '${column}' row ${i} is not a time (null or unparsable); ` +
          `expected Datetime, epoch ms or ISO UTC strings`,
      );
    }
  }
  return out;
}

/** A numeric column as Float64 (nulls → NaN); a non-numeric column is a `DataError`. */
export function _floats(df: pl.DataFrame, column: string, where: string): Float64Array {
  try {
    return df.select(pl.col(column).cast(pl.Float64).fillNull(pl.lit(NaN))).getColumn(column)
      .toTypedArray() as Float64Array;
  } catch (error) {
    throw new DataError(
      `${where}: column '${column}' is ${String(df.getColumn(column).dtype)}, not numeric`,
      { cause: error },
    );
  }
}

/** A `Datetime("ms","UTC")` series from epoch ms. */
export function _timeSeries(name: string, ms: Float64Array): pl.Series {
  return pl.Series(name, ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

/**
 * `df` with its `timestamp` column normalized to `Datetime("ms","UTC")` (and `asset_id` to
 * Int64 when present), sorted by (timestamp[, asset_id]).
 */
export function _normalizeKeys(df: pl.DataFrame, where: string): pl.DataFrame {
  const ms = _timeMs(df, "timestamp", where);
  let out = df.withColumns(_timeSeries("timestamp", ms));
  const keys = ["timestamp"];
  if (out.columns.includes("asset_id")) {
    try {
      out = out.withColumns(pl.col("asset_id").cast(pl.Int64));
    } catch (error) {
      throw new DataError(`${where}: column 'asset_id' is not an integer`, { cause: error });
    }
    keys.push("asset_id");
  }
  return out.sort(keys);
}

/** Rows of `df` (with a Datetime `timestamp`) whose timestamp is in `(start, end]`. */
export function _inRange(df: pl.DataFrame, start: number, end: number): pl.DataFrame {
  const ts = _timeMs(df, "timestamp", "range filter");
  // Sorted by time: find the slice bounds by binary search (zero-copy slice).
  const lo = upperBound(ts, start);
  const hi = upperBound(ts, end);
  return df.slice(lo, Math.max(0, hi - lo));
}

/** The smallest positive step between consecutive ascending times, or undefined. */
export function _smallestStep(ts: ArrayLike<number>): number | undefined {
  let step = Infinity;
  for (let i = 1; i < ts.length; i++) {
    const d = (ts[i] as number) - (ts[i - 1] as number);
    if (d > 0 && d < step) step = d;
  }
  return Number.isFinite(step) ? step : undefined;
}

function _firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? line.slice(0, 200) + "…" : line;
}

function _asUtc(text: string): string {
  // `2025-01-03 10:05:00` and `2025-01-03T10:05` without a zone are UTC.
  const iso = text.replace(" ", "T");
  return /[zZ]|[+-]\d\d:?\d\d$/.test(iso) || !iso.includes("T") ? iso : iso + "Z";
}
