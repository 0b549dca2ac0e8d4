/** Private helpers of lib/dag: reading a frame's `timestamp` column and searching it. */
import pl from "nodejs-polars";
import { formatTime } from "../sim/bar_schema.ts";

/** The `timestamp` column (Datetime ms) of `df` as epoch ms. */
export function _timestamps(df: pl.DataFrame): Float64Array {
  return df.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
}

/** The index of the first element of the ascending `values` greater than `x` (`values.length` if none). */
export function _upperBound(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows of `df` (sorted by timestamp, epoch ms `ts`) with timestamp in `(a, b]`: a zero-copy slice. */
export function _sliceInterval(
  df: pl.DataFrame,
  ts: Float64Array,
  a: number,
  b: number,
): pl.DataFrame {
  const lo = _upperBound(ts, a);
  const hi = Math.max(lo, _upperBound(ts, b));
  return df.slice(lo, hi - lo);
}

/** `formatTime` that also prints unbounded interval ends (`-inf`, `+inf`) and bad numbers. */
export function _formatBound(ms: number): string {
  if (ms === -Infinity) return "-inf";
  if (ms === Infinity) return "+inf";
  return Number.isFinite(ms) ? formatTime(ms) : String(ms);
}
