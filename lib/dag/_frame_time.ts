/** Private helpers of lib/dag: reading a frame's `timestamp` column and searching it. */
import pl from "nodejs-polars";
import { formatTime } from "../sim/bar_schema.ts";

const _LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
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
    ? _int64Numbers(s.cast(pl.Int64).toTypedArray() as BigInt64Array)
    : s.cast(pl.Float64).toTypedArray() as Float64Array;
  _cache.set(df, ts);
  return ts;
}

/**
 * Int64 values (an Int64 or Datetime column without nulls, read with `toTypedArray`) as
 * numbers, each rounded exactly like Polars' cast to Float64, which it replaces (one copy
 * fewer, and no Polars call).
 */
export function _int64Numbers(big: BigInt64Array): Float64Array {
  const n = big.length;
  const out = new Float64Array(n);
  if (_LITTLE_ENDIAN) {
    const w = new Int32Array(big.buffer, big.byteOffset, 2 * n);
    // hi·2^32 is exact and lo < 2^32, so the one rounding of the sum is the cast's rounding.
    for (let i = 0; i < n; i++) {
      out[i] = (w[2 * i + 1] as number) * 4294967296 + ((w[2 * i] as number) >>> 0);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(big[i] as bigint);
  }
  return out;
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
