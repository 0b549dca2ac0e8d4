/**
 * Private helpers of the node library: column checks, moving columns between Polars and
 * typed arrays (null ⇄ NaN), the per-asset row layout of a long frame, and the translation
 * of Polars errors into dagtrade errors.
 */
import pl from "nodejs-polars";
import { ConfigError, DagtradeError, DataError } from "../../errors/mod.ts";
import { formatTime } from "../../sim/bar_schema.ts";

/**
 * Throws `ConfigError` naming the node, the config key (`""` for columns the node always
 * needs) and the frame's columns when some of `cols` are missing.
 */
export function _requireColumns(
  nodeId: string,
  df: pl.DataFrame,
  cols: readonly string[],
  key: string,
): void {
  const have = new Set(df.columns);
  const missing = cols.filter((c) => !have.has(c));
  if (missing.length === 0) return;
  const names = missing.map((c) => `'${c}'`).join(", ");
  const where = key === "" ? "" : ` (config key '${key}')`;
  const fix = key === "" ? "fix the node's input" : `fix '${key}' or the node's input`;
  throw new ConfigError(
    `Node ${nodeId}: column(s) ${names}${where} not in its input frame ` +
      `(columns: ${df.columns.join(", ")}); ${fix}`,
  );
}

/** Runs `fn`, wrapping any non-dagtrade error (Polars) into a `DataError` naming the node. */
export function _guard<T>(nodeId: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DagtradeError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new DataError(
      `Node ${nodeId} failed on its input frame: ${msg}; check the input's columns and types`,
      { cause: err },
    );
  }
}

/** The column as a Float64Array, nulls (and NaN) as NaN. */
export function _values(df: pl.DataFrame, col: string): Float64Array {
  const s = df.select(pl.col(col).cast(pl.Float64).fillNull(Number.NaN).alias(col)).getColumn(
    col,
  );
  return s.toTypedArray() as Float64Array;
}

/** A datetime column as epoch ms in a Float64Array (nulls as NaN). */
export function _times(df: pl.DataFrame, col: string): Float64Array {
  const e = pl.col(col).cast(pl.Datetime("ms", "UTC")).cast(pl.Int64).cast(pl.Float64);
  return df.select(e.fillNull(Number.NaN).alias(col)).getColumn(col).toTypedArray() as Float64Array;
}

/** Adds (or replaces) Float64 columns from typed arrays; NaN becomes null. */
export function _withValues(
  df: pl.DataFrame,
  columns: ReadonlyArray<readonly [string, Float64Array]>,
): pl.DataFrame {
  if (columns.length === 0) return df;
  const out = df.withColumns(...columns.map(([name, v]) => pl.Series(name, v)));
  const withNaN = columns.filter(([, v]) => v.some(Number.isNaN)).map(([name]) => name);
  if (withNaN.length === 0) return out;
  return out.withColumns(...withNaN.map((name) => pl.col(name).fillNan(null).alias(name)));
}

/**
 * Rows grouped by asset: `order[offsets[g] .. offsets[g+1])` are the row indices of asset
 * group `g`, in frame (= time) order.
 */
export interface _AssetLayout {
  /** Row indices grouped by asset, time order within each group. */
  readonly order: Uint32Array;
  /** Group boundaries in `order` (length = number of assets + 1). */
  readonly offsets: Uint32Array;
}

/**
 * The per-asset layout of a long frame. Checks that timestamps strictly increase within each
 * asset (the frame contract's sort), throwing `DataError` naming the row otherwise.
 */
export function _assetLayout(nodeId: string, df: pl.DataFrame): _AssetLayout {
  _requireColumns(nodeId, df, ["timestamp", "asset_id"], "");
  const keys = df.select(
    pl.col("asset_id").cast(pl.Float64).alias("a"),
    pl.col("timestamp").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64).cast(pl.Float64).alias("t"),
  );
  if (keys.getColumn("a").nullCount() > 0 || keys.getColumn("t").nullCount() > 0) {
    throw new DataError(`Node ${nodeId}: null timestamp or asset_id in its input frame`);
  }
  const ids = keys.getColumn("a").toTypedArray() as Float64Array;
  const ts = keys.getColumn("t").toTypedArray() as Float64Array;
  const n = ids.length;
  const groupOf = new Int32Array(n);
  const index = new Map<number, number>();
  let capacity = 16;
  let groupIds: Float64Array = new Float64Array(capacity);
  let lastTs: Float64Array = new Float64Array(capacity);
  let counts: Uint32Array = new Uint32Array(capacity);
  let groups = 0;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const id = ids[i] as number;
    // Sorted long frames cycle through the same assets: try the group after the previous
    // row's (or the first) before the map.
    let g = prev + 1 < groups ? prev + 1 : 0;
    if (g >= groups || groupIds[g] !== id) {
      const found = index.get(id);
      if (found === undefined) {
        if (groups === capacity) {
          capacity *= 2;
          groupIds = _grow(groupIds, capacity);
          lastTs = _grow(lastTs, capacity);
          const c = new Uint32Array(capacity);
          c.set(counts);
          counts = c;
        }
        g = groups++;
        index.set(id, g);
        groupIds[g] = id;
        lastTs[g] = -Infinity;
      } else {
        g = found;
      }
    }
    const t = ts[i] as number;
    if (!(t > (lastTs[g] as number))) {
      throw new DataError(
        `Node ${nodeId}: input frame row ${i} (timestamp ${formatTime(t)}, asset_id ${id}) is ` +
          `not after the asset's previous row; frames must be sorted by (timestamp, asset_id) ` +
          `with unique keys`,
      );
    }
    lastTs[g] = t;
    counts[g] = (counts[g] as number) + 1;
    groupOf[i] = g;
    prev = g;
  }
  const offsets = new Uint32Array(groups + 1);
  for (let g = 0; g < groups; g++) {
    offsets[g + 1] = (offsets[g] as number) + (counts[g] as number);
  }
  const fill = offsets.slice(0, groups);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i] as number;
    order[fill[g] as number] = i;
    fill[g] = (fill[g] as number) + 1;
  }
  return { order, offsets };
}

function _grow(a: Float64Array, capacity: number): Float64Array {
  const out = new Float64Array(capacity);
  out.set(a);
  return out;
}

/** `x` reordered by the layout (assets contiguous, time order within each). */
export function _gather(x: Float64Array, layout: _AssetLayout): Float64Array {
  const { order } = layout;
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = x[order[i] as number] as number;
  return out;
}

/** Inverse of `_gather`: values in layout order back to frame order. */
export function _scatter(xs: Float64Array, layout: _AssetLayout): Float64Array {
  const { order } = layout;
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[order[i] as number] = xs[i] as number;
  return out;
}

/**
 * Applies `fn` to each asset's contiguous segment of `xs` (layout order), writing into a new
 * array of the same layout.
 */
export function _perAsset(
  xs: Float64Array,
  layout: _AssetLayout,
  fn: (segment: Float64Array) => Float64Array,
): Float64Array {
  const out = new Float64Array(xs.length);
  const { offsets } = layout;
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const b = offsets[g + 1] as number;
    out.set(fn(xs.subarray(a, b)), a);
  }
  return out;
}
