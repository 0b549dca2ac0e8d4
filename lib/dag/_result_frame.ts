/** Private helpers of the runners: the result frame of a run and the bar period of a frame. */
import pl from "nodejs-polars";
import { DagtradeError, UsageError } from "../errors/mod.ts";
import { int64Numbers } from "../frame/mod.ts";
import { _timestamps } from "./_frame_time.ts";

/** Throws `DagtradeError` when a sink output's `columns` lack `timestamp` or `asset_id`. */
export function _requireResultKeys(columns: readonly string[], where: string): void {
  for (const key of ["timestamp", "asset_id"]) {
    if (!columns.includes(key)) {
      throw new DagtradeError(
        `${where}: the result frame has no '${key}' column (columns: ${columns.join(", ")}); ` +
          `the sink node must keep the (timestamp, asset_id) keys`,
      );
    }
  }
}

/**
 * Checks that a sink output has the result-frame keys and returns it sorted by
 * `(timestamp, asset_id)` (sorting only when it is not already). `ts`: `df`'s timestamps when
 * the caller already has them.
 */
export function _resultFrame(df: pl.DataFrame, where: string, ts?: Float64Array): pl.DataFrame {
  _requireResultKeys(df.columns, where);
  if (df.height < 2) return df;
  if (ts === undefined) {
    const sorted = _sortedByPolars(df);
    if (sorted !== undefined) return sorted ? df : df.sort(["timestamp", "asset_id"]);
  }
  ts ??= _timestamps(df);
  const idCol = df.getColumn("asset_id");
  const ids = idCol.dtype.equals(pl.Int64) && idCol.nullCount() === 0
    ? int64Numbers(idCol.toTypedArray() as BigInt64Array)
    : idCol.cast(pl.Float64).toTypedArray() as Float64Array;
  for (let i = 1; i < ts.length; i++) {
    const dt = (ts[i] as number) - (ts[i - 1] as number);
    if (dt < 0 || (dt === 0 && (ids[i] as number) <= (ids[i - 1] as number))) {
      return df.sort(["timestamp", "asset_id"]);
    }
  }
  return df;
}

/** Frames from this many rows are checked by whole-column Polars operations. */
const _POLARS_CHECK_ROWS = 65_536;

/**
 * Whether a large frame is sorted by `(timestamp, asset_id)`, checked by Polars on the Int64
 * keys (no copies into JS); `undefined` for small frames, other key types, nulls or keys
 * beyond ±2^53 (where the JS check, on keys as numbers, could decide differently).
 */
function _sortedByPolars(df: pl.DataFrame): boolean | undefined {
  const n = df.height;
  if (n < _POLARS_CHECK_ROWS) return undefined;
  const tsCol = df.getColumn("timestamp");
  const idCol = df.getColumn("asset_id");
  if (
    !tsCol.dtype.equals(pl.Datetime("ms", "UTC")) || !idCol.dtype.equals(pl.Int64) ||
    tsCol.nullCount() > 0 || idCol.nullCount() > 0
  ) {
    return undefined;
  }
  const t = tsCol.cast(pl.Int64);
  for (const s of [t, idCol]) {
    const lo = s.min() as unknown as number;
    const hi = s.max() as unknown as number;
    if (!(Math.abs(lo) < 2 ** 53 && Math.abs(hi) < 2 ** 53)) return undefined;
  }
  const t0 = t.slice(0, n - 1);
  const t1 = t.slice(1, n - 1);
  const later = idCol.slice(1, n - 1).gt(idCol.slice(0, n - 1));
  return (t1.gt(t0).bitor(t1.eq(t0).bitand(later)).all() as unknown) === true;
}

/**
 * The bar period of a frame sorted by timestamp: the smallest positive step between its
 * timestamps. Throws `UsageError` (asking for `barMs`) when there are fewer than two bars.
 */
export function _inferBarMs(ts: Float64Array, where: string): number {
  let best = Infinity;
  for (let i = 1; i < ts.length; i++) {
    const dt = (ts[i] as number) - (ts[i - 1] as number);
    if (dt > 0 && dt < best) best = dt;
  }
  if (!Number.isFinite(best)) {
    throw new UsageError(
      `${where}: cannot infer the bar period from fewer than two bar timestamps; pass barMs`,
    );
  }
  return best;
}
