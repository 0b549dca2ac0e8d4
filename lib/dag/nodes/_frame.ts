/**
 * Private helpers of the node library: column checks, moving columns between Polars and
 * typed arrays (null ⇄ NaN), the per-asset row layout of a long frame, and the translation
 * of Polars errors into dagtrade errors.
 */
import pl from "nodejs-polars";
import { ConfigError, DagtradeError, DataError } from "../../errors/mod.ts";
import { formatTime } from "../../sim/bar_schema.ts";
import { _int64Numbers } from "../_frame_time.ts";

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

const _DATETIME_MS_UTC = pl.Datetime("ms", "UTC");
const _LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A Float64 column read into JS: values (nulls as NaN) and its null mask (1 = null). */
export interface _Float64Column {
  /** The values, nulls (and NaN) as NaN. Read-only (shared through the cache). */
  readonly values: Float64Array;
  /** 1 where the column is null; `undefined` when it has no nulls. Read-only. */
  readonly nulls: Uint8Array | undefined;
}

/**
 * A cached column: `nulls` is the mask, `undefined` (no nulls), or `"nan"` (exactly the NaN
 * values are nulls: a column written by `_withValues`; the mask is derived when asked for).
 */
type _Cached = { values: Float64Array; nulls: Uint8Array | undefined | "nan" };

/**
 * Cached columns by frame then column name. Frames are immutable, and a node's output shares
 * the cached columns it did not write (`_sameRows`), so a column is copied out of Polars once
 * per DAG run (or never, when a node wrote it from JS).
 */
const _columns = new WeakMap<pl.DataFrame, Map<string, _Cached>>();

function _cache(df: pl.DataFrame, col: string, entry: _Cached): void {
  let map = _columns.get(df);
  if (map === undefined) {
    map = new Map();
    _columns.set(df, map);
  }
  map.set(col, entry);
}

/**
 * A Float64 column's values with its null mask; `undefined` when the column is not Float64.
 * Read-only: cached per frame, so callers must not modify the arrays.
 */
export function _float64Column(df: pl.DataFrame, col: string): _Float64Column | undefined {
  const cached = _columns.get(df)?.get(col);
  if (cached !== undefined) {
    if (cached.nulls === "nan") cached.nulls = _nanMask(cached.values);
    return cached as _Float64Column;
  }
  const s = df.getColumn(col);
  if (!s.dtype.equals(pl.Float64)) return undefined;
  const n = s.length;
  const nullCount = s.nullCount();
  let entry: _Cached;
  if (nullCount === 0) {
    entry = { values: s.toTypedArray() as Float64Array, nulls: undefined };
  } else {
    const nulls = s.isNull().cast(pl.UInt8).toTypedArray() as Uint8Array;
    const values = nullCount === n
      ? new Float64Array(n)
      : s.fillNull("zero").toTypedArray() as Float64Array;
    for (let i = 0; i < n; i++) if (nulls[i] === 1) values[i] = Number.NaN;
    entry = { values, nulls };
  }
  _cache(df, col, entry);
  return entry as _Float64Column;
}

/** 1 where `v` is NaN; `undefined` when none is. */
function _nanMask(v: Float64Array): Uint8Array | undefined {
  let mask: Uint8Array | undefined;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i] as number)) (mask ??= new Uint8Array(v.length))[i] = 1;
  }
  return mask;
}

/**
 * The column as a Float64Array, nulls (and NaN) as NaN. Read-only: cached per frame (it may
 * be the very array a node wrote the column from), so callers must not modify it.
 */
export function _values(df: pl.DataFrame, col: string): Float64Array {
  const fast = _float64Column(df, col);
  if (fast !== undefined) return fast.values;
  const s = df.select(pl.col(col).cast(pl.Float64).fillNull(Number.NaN).alias(col)).getColumn(
    col,
  );
  return s.toTypedArray() as Float64Array;
}

/** A datetime column as epoch ms in a Float64Array (nulls as NaN). */
export function _times(df: pl.DataFrame, col: string): Float64Array {
  const s = df.getColumn(col);
  if (s.dtype.equals(_DATETIME_MS_UTC) && s.nullCount() === 0) {
    return _int64Numbers(s.cast(pl.Int64).toTypedArray() as BigInt64Array);
  }
  const e = pl.col(col).cast(pl.Datetime("ms", "UTC")).cast(pl.Int64).cast(pl.Float64);
  return df.select(e.fillNull(Number.NaN).alias(col)).getColumn(col).toTypedArray() as Float64Array;
}

/**
 * A Float64 Series of `values` with nulls at the rows listed in `nulls` (ascending; NaN
 * elsewhere stays NaN).
 */
export function _seriesWithNulls(
  name: string,
  values: Float64Array,
  nulls: Uint32Array,
): pl.Series {
  const k = nulls.length;
  if (k === 0) return pl.Series(name, values);
  if (nulls[k - 1] === k - 1 && values.length <= _SHIFT_ROWS) {
    // Nulls exactly in the first k rows (an asset's warm-up in a regular frame): a shift is
    // far cheaper than a scatter for small frames.
    const up = new Float64Array(values.length);
    up.set(values.subarray(k));
    return pl.Series(name, up).shift(k);
  }
  const s = pl.Series(name, values);
  s.scatter(pl.Series("", nulls), null);
  return s;
}

/** Largest frame for which `_seriesWithNulls` shifts rather than scatters leading nulls. */
const _SHIFT_ROWS = 65_536;

/** The rows of `v` holding NaN. */
function _nanRows(v: Float64Array): Uint32Array {
  let count = 0;
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i] as number)) count++;
  const rows = new Uint32Array(count);
  if (count === 0) return rows;
  for (let i = 0, k = 0; i < v.length; i++) if (Number.isNaN(v[i] as number)) rows[k++] = i;
  return rows;
}

/**
 * Adds (or replaces) Float64 columns from typed arrays; NaN becomes null. Eager Polars calls
 * only (no query plan per column); the output inherits the input's cached layout and columns,
 * and caches the arrays given, which the caller must no longer modify.
 */
export function _withValues(
  df: pl.DataFrame,
  columns: ReadonlyArray<readonly [string, Float64Array]>,
): pl.DataFrame {
  if (columns.length === 0) return df;
  const series = columns.map(([name, v]) => _seriesWithNulls(name, v, _nanRows(v)));
  const names = columns.map(([name]) => name);
  const have = new Set(df.columns);
  let out = df;
  if (names.every((n, i) => !have.has(n) && names.indexOf(n) === i)) {
    out = df.hstack<pl.Series[]>(series); // all new: one call
  } else {
    for (const s of series) out = out.withColumn(s);
  }
  _sameRows(df, out, names);
  for (const [name, v] of columns) _cache(out, name, { values: v, nulls: "nan" });
  return out;
}

/**
 * Adds (or replaces) a Float64 column from `values` with nulls at the rows `nullRows` (NaN
 * elsewhere stays NaN, unlike `_withValues`); the output inherits the input's cached layout
 * and columns. Takes ownership of `values` (it is cached, with the null rows set to NaN).
 */
export function _withNullableValues(
  df: pl.DataFrame,
  name: string,
  values: Float64Array,
  nullRows: Uint32Array,
): pl.DataFrame {
  const out = df.withColumn(_seriesWithNulls(name, values, nullRows));
  _sameRows(df, out, [name]);
  let nulls: Uint8Array | undefined;
  if (nullRows.length > 0) {
    nulls = new Uint8Array(values.length);
    for (const i of nullRows) {
      nulls[i] = 1;
      values[i] = Number.NaN;
    }
  }
  _cache(out, name, { values, nulls });
  return out;
}

/**
 * Caches, for `out`'s column `options.name`, the values of `df`'s cached Float64 column
 * `options.col` shifted down `options.rows` rows (null in the first rows): what a regular
 * frame's per-asset lag gives. Does nothing when that column is not cached.
 */
export function _cacheShifted(
  df: pl.DataFrame,
  out: pl.DataFrame,
  options: { col: string; name: string; rows: number },
): void {
  const { col, name, rows } = options;
  const src = _columns.get(df)?.get(col);
  if (src === undefined) return;
  const n = src.values.length;
  const d = Math.min(rows, n);
  const values = new Float64Array(n);
  values.fill(Number.NaN, 0, d);
  values.set(src.values.subarray(0, n - d), d);
  let nulls: Uint8Array | undefined | "nan" = "nan";
  if (src.nulls !== "nan") {
    nulls = new Uint8Array(n);
    nulls.fill(1, 0, d);
    if (src.nulls !== undefined) nulls.set(src.nulls.subarray(0, n - d), d);
  }
  _cache(out, name, { values, nulls });
}

/** Cached layouts: frames derived by adding columns share their input's layout. */
const _layouts = new WeakMap<pl.DataFrame, _AssetLayout>();
/** Layouts whose asset ids are not all exact as numbers (|id| >= 2^53). */
const _lossyIds = new WeakSet<_AssetLayout>();
/** Cached previous-row indices of layouts. */
const _previous = new WeakMap<_AssetLayout, Int32Array>();

/**
 * Declares that `to` has the same rows, in the same order, as `from` (a node added, replaced
 * (`written`) or dropped columns), so it shares `from`'s cached asset layout and the cached
 * values of the columns it kept unchanged; returns `to`.
 */
export function _sameRows(
  from: pl.DataFrame,
  to: pl.DataFrame,
  written: readonly string[],
): pl.DataFrame {
  const layout = _layouts.get(from);
  if (layout !== undefined && !written.includes("timestamp") && !written.includes("asset_id")) {
    _layouts.set(to, layout);
  }
  const cached = _columns.get(from);
  if (cached !== undefined) {
    const have = new Set(to.columns);
    const kept = new Map(
      [...cached].filter(([col]) => have.has(col) && !written.includes(col)),
    );
    if (kept.size > 0) _columns.set(to, kept);
  }
  return to;
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
  /**
   * `s` > 0 when the frame is REGULAR: its rows cycle through the same `s` assets in the same
   * order (row `t·s + g` is row t of group g, the last cycle possibly cut short), so per-asset
   * kernels can run on the frame as is with every lag `s` rows long; `0` otherwise.
   */
  readonly stride: number;
}

/**
 * The per-asset layout of a long frame. Checks that timestamps strictly increase within each
 * asset (the frame contract's sort), throwing `DataError` naming the row otherwise. Cached per
 * frame (and shared with frames declared by `_sameRows`).
 */
export function _assetLayout(nodeId: string, df: pl.DataFrame): _AssetLayout {
  const cached = _layouts.get(df);
  if (cached !== undefined) return cached;
  _requireColumns(nodeId, df, ["timestamp", "asset_id"], "");
  const tsCol = df.getColumn("timestamp");
  const idCol = df.getColumn("asset_id");
  let layout: _AssetLayout | undefined;
  let ids: Float64Array;
  if (tsCol.dtype.equals(_DATETIME_MS_UTC) && idCol.dtype.equals(pl.Int64)) {
    if (idCol.nullCount() > 0 || tsCol.nullCount() > 0) {
      throw new DataError(`Node ${nodeId}: null timestamp or asset_id in its input frame`);
    }
    const tsInt = tsCol.cast(pl.Int64);
    layout = _regularLayout(idCol, tsInt);
    if (layout === undefined) {
      ids = _int64Numbers(idCol.toTypedArray() as BigInt64Array);
      layout = _layoutOf(nodeId, ids, _int64Numbers(tsInt.toTypedArray() as BigInt64Array));
    } else {
      ids = new Float64Array(0); // the cycle's ids were checked by _regularLayout
    }
  } else {
    const keys = df.select(
      pl.col("asset_id").cast(pl.Float64).alias("a"),
      pl.col("timestamp").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64).cast(pl.Float64).alias(
        "t",
      ),
    );
    if (keys.getColumn("a").nullCount() > 0 || keys.getColumn("t").nullCount() > 0) {
      throw new DataError(`Node ${nodeId}: null timestamp or asset_id in its input frame`);
    }
    ids = keys.getColumn("a").toTypedArray() as Float64Array;
    layout = _layoutOf(nodeId, ids, keys.getColumn("t").toTypedArray() as Float64Array);
  }
  for (let i = 0; i < ids.length; i++) {
    if (!(Math.abs(ids[i] as number) < 2 ** 53)) {
      _lossyIds.add(layout);
      break;
    }
  }
  _layouts.set(df, layout);
  return layout;
}

/** Frames up to this many rows are checked for regularity in JS, larger ones by Polars. */
const _JS_CHECK_ROWS = 65_536;

/**
 * The cycle length of a frame whose first asset ids are `head` (the rows before the first
 * repeated id; `head.length` when none repeats), or `undefined` when one of them is not exact
 * as a number (|id| >= 2^53).
 */
function _cycle(head: BigInt64Array): number | undefined {
  const n = head.length;
  const w = new Int32Array(head.buffer, head.byteOffset, 2 * n);
  const seen = new Set<number>();
  let s = 0;
  for (; s < n; s++) {
    const hi = w[2 * s + 1] as number;
    if (hi >= 2 ** 21 || hi < -(2 ** 21)) return undefined;
    const id = hi * 4294967296 + ((w[2 * s] as number) >>> 0);
    if (seen.has(id)) break;
    seen.add(id);
  }
  return s;
}

/**
 * The layout of a regular frame (see `_AssetLayout.stride`) from its Int64 keys, or
 * `undefined` when the frame is not regular, its first cycle's ids are not exact as numbers,
 * or a timestamp does not increase or is beyond ±2^53 ms (the general path then builds the
 * layout or the error).
 */
function _regularLayout(idCol: pl.Series, tsCol: pl.Series): _AssetLayout | undefined {
  const n = idCol.length;
  if (!_LITTLE_ENDIAN || n === 0) return undefined;
  if (n <= _JS_CHECK_ROWS) {
    const ids = idCol.toTypedArray() as BigInt64Array;
    const s = _cycle(ids);
    if (s === undefined) return undefined;
    const ts = tsCol.toTypedArray() as BigInt64Array;
    const iw = new Int32Array(ids.buffer, ids.byteOffset, 2 * n);
    const tw = new Int32Array(ts.buffer, ts.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      const hi = tw[2 * i + 1] as number;
      if (hi >= 2 ** 21 || hi < -(2 ** 21)) return undefined;
    }
    for (let i = s; i < n; i++) {
      const k = 2 * i;
      const p = 2 * (i - s);
      if (iw[k] !== iw[p] || iw[k + 1] !== iw[p + 1]) return undefined;
      const hi = tw[k + 1] as number;
      const prevHi = tw[p + 1] as number;
      if (
        hi < prevHi || (hi === prevHi && ((tw[k] as number) >>> 0) <= ((tw[p] as number) >>> 0))
      ) {
        return undefined;
      }
    }
    return _regular(n, s);
  }
  // Large frames: the same checks as whole-column Polars operations (no copies into JS).
  const head = Math.min(n, 4096);
  const s = _cycle(idCol.slice(0, head).toTypedArray() as BigInt64Array);
  if (s === undefined || (s === head && head < n)) return undefined;
  const lo = tsCol.min() as unknown as number;
  const hi = tsCol.max() as unknown as number;
  if (!(Math.abs(lo) < 2 ** 53 && Math.abs(hi) < 2 ** 53)) return undefined;
  if (s < n) {
    if (!idCol.slice(s, n - s).seriesEqual(idCol.slice(0, n - s))) return undefined;
    if (!tsCol.slice(s, n - s).gt(tsCol.slice(0, n - s)).all()) return undefined;
  }
  return _regular(n, s);
}

/** The layout of a regular frame of `n` rows cycling through `s` assets. */
function _regular(n: number, s: number): _AssetLayout {
  const offsets = new Uint32Array(s + 1);
  for (let g = 0; g < s; g++) {
    offsets[g + 1] = (offsets[g] as number) + Math.floor((n - 1 - g) / s) + 1;
  }
  let order: Uint32Array | undefined;
  return {
    get order(): Uint32Array {
      if (order === undefined) {
        order = new Uint32Array(n);
        for (let g = 0; g < s; g++) {
          const a = offsets[g] as number;
          const b = offsets[g + 1] as number;
          for (let k = a, i = g; k < b; k++, i += s) order[k] = i;
        }
      }
      return order;
    },
    offsets,
    stride: s,
  };
}

/**
 * The layout when `df` has valid, sorted keys whose asset ids are exact as numbers (so its
 * groups are exactly Polars' `over("asset_id")` groups); `undefined` instead of throwing.
 */
export function _tryAssetLayout(df: pl.DataFrame): _AssetLayout | undefined {
  try {
    const layout = _assetLayout("", df);
    return _lossyIds.has(layout) ? undefined : layout;
  } catch {
    return undefined;
  }
}

/** For each row, the row index of its asset's previous row (`-1` for the asset's first row). */
export function _previousRows(layout: _AssetLayout): Int32Array {
  const cached = _previous.get(layout);
  if (cached !== undefined) return cached;
  const prev = _regularLags(layout, 1) ?? _generalPrevious(layout);
  _previous.set(layout, prev);
  return prev;
}

function _generalPrevious(layout: _AssetLayout): Int32Array {
  const { order, offsets } = layout;
  const prev = new Int32Array(order.length);
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const b = offsets[g + 1] as number;
    if (b > a) prev[order[a] as number] = -1;
    for (let k = a + 1; k < b; k++) prev[order[k] as number] = order[k - 1] as number;
  }
  return prev;
}

/** `_laggedRows` of a regular layout (`undefined` for a general one). */
function _regularLags(layout: _AssetLayout, lag: number): Int32Array | undefined {
  const s = layout.stride;
  if (s === 0) return undefined;
  const n = layout.offsets[layout.offsets.length - 1] as number;
  const out = new Int32Array(n);
  const d = lag * s;
  for (let i = 0; i < n; i++) out[i] = i >= d ? i - d : -1;
  return out;
}

/** For each row, the row index of its asset's row `lag` rows earlier (`-1` when none). */
export function _laggedRows(layout: _AssetLayout, lag: number): Int32Array {
  if (lag === 1) return _previousRows(layout);
  const regular = _regularLags(layout, lag);
  if (regular !== undefined) return regular;
  const { order, offsets } = layout;
  const out = new Int32Array(order.length);
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const b = offsets[g + 1] as number;
    for (let k = a; k < b; k++) {
      out[order[k] as number] = k - lag >= a ? order[k - lag] as number : -1;
    }
  }
  return out;
}

function _layoutOf(nodeId: string, ids: Float64Array, ts: Float64Array): _AssetLayout {
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
  return { order, offsets, stride: 0 };
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
