/** Private helpers of the runners: the result frame of a run and the bar period of a frame. */
import pl from "nodejs-polars";
import { DagtradeError, UsageError } from "../errors/mod.ts";
import { _int64Numbers, _timestamps } from "./_frame_time.ts";

/**
 * Checks that a sink output has the result-frame keys and returns it sorted by
 * `(timestamp, asset_id)` (sorting only when it is not already).
 */
export function _resultFrame(df: pl.DataFrame, where: string): pl.DataFrame {
  const columns = df.columns;
  for (const key of ["timestamp", "asset_id"]) {
    if (!columns.includes(key)) {
      throw new DagtradeError(
        `${where}: the result frame has no '${key}' column (columns: ${columns.join(", ")}); ` +
          `the sink node must keep the (timestamp, asset_id) keys`,
      );
    }
  }
  if (df.height < 2) return df;
  const ts = _timestamps(df);
  const idCol = df.getColumn("asset_id");
  const ids = idCol.dtype.equals(pl.Int64) && idCol.nullCount() === 0
    ? _int64Numbers(idCol.toTypedArray() as BigInt64Array)
    : idCol.cast(pl.Float64).toTypedArray() as Float64Array;
  for (let i = 1; i < ts.length; i++) {
    const dt = (ts[i] as number) - (ts[i - 1] as number);
    if (dt < 0 || (dt === 0 && (ids[i] as number) <= (ids[i - 1] as number))) {
      return df.sort(["timestamp", "asset_id"]);
    }
  }
  return df;
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
