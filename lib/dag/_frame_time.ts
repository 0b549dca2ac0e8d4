/** Private helpers of lib/dag: reading a frame's `timestamp` column and searching it. */
import pl from "nodejs-polars";
import { int64Numbers, upperBound } from "../frame/mod.ts";
import { formatTime } from "../sim/bar_schema.ts";

const _DATETIME_MS_UTC = pl.Datetime("ms", "UTC");
/** Cached `_timestamps` (frames are immutable). */
const _cache = new WeakMap<pl.DataFrame, Float64Array>();

/**
 * The `timestamp` column (Datetime ms) of `df` as epoch ms. Read-only: cached per frame, so
 * callers must not modify it.
 */
export function _timestamps(df: pl.DataFrame): Float64Array {
  const cached = _cache.get(df);
  if (cached !== undefined) return cached;
  const s = df.getColumn("timestamp");
  const ts = s.dtype.equals(_DATETIME_MS_UTC) && s.nullCount() === 0
    ? int64Numbers(s.cast(pl.Int64).toTypedArray() as BigInt64Array)
    : s.cast(pl.Float64).toTypedArray() as Float64Array;
  _cache.set(df, ts);
  return ts;
}

/** The rows `[lo, hi)` of the ascending timestamps `ts` with timestamp in `(a, b]`. */
export function _intervalRows(ts: Float64Array, a: number, b: number): [number, number] {
  const lo = upperBound(ts, a);
  return [lo, Math.max(lo, upperBound(ts, b))];
}

/** The rows of `df` (sorted by timestamp, epoch ms `ts`) with timestamp in `(a, b]`: a zero-copy slice. */
export function _sliceInterval(
  df: pl.DataFrame,
  ts: Float64Array,
  a: number,
  b: number,
): pl.DataFrame {
  const [lo, hi] = _intervalRows(ts, a, b);
  return df.slice(lo, hi - lo);
}

/** `formatTime` that also prints unbounded interval ends (`-inf`, `+inf`) and bad numbers. */
export function _formatBound(ms: number): string {
  if (ms === -Infinity) return "-inf";
  if (ms === Infinity) return "+inf";
  return Number.isFinite(ms) ? formatTime(ms) : String(ms);
}
