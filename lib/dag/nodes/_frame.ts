/**
 * Private helpers of the node library: the per-asset row layout of a long frame (rows grouped
 * by asset, in time order) and per-asset row arithmetic on it (lagged and leading rows,
 * per-asset kernels). `_columns.ts` builds layouts from frames.
 */
import { DataError } from "../../errors/mod.ts";
import { formatTime } from "../../sim/bar_schema.ts";

/** Cached `_laggedRows` of layouts, by lag. */
const _lagCache = new WeakMap<_AssetLayout, Map<number, Int32Array>>();

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
 * The layout of a frame's key columns (`ids`, `ts`: epoch ms). Throws `DataError` for a null
 * (NaN) key or for a row whose timestamp is not after its asset's previous row (the frame
 * contract's sort, unique keys), naming the row.
 */
export function _layoutOf(nodeId: string, ids: Float64Array, ts: Float64Array): _AssetLayout {
  return _regularOf(nodeId, ids, ts) ?? _generalLayout(nodeId, ids, ts);
}

function _nullKey(nodeId: string): never {
  throw new DataError(`Node ${nodeId}: null timestamp or asset_id in its input frame`);
}

/**
 * The layout of a regular frame (rows cycle through the same `s` assets, timestamps
 * increasing within each), or `undefined` when the frame is not regular. Only the first
 * cycle's keys are checked for null here: a later null key fails the comparisons with the
 * row one cycle up, so such a frame is not regular.
 */
function _regularOf(nodeId: string, ids: Float64Array, ts: Float64Array): _AssetLayout | undefined {
  const n = ids.length;
  if (n === 0) return undefined;
  const seen = new Set<number>();
  let s = 0;
  for (; s < n; s++) {
    const id = ids[s] as number;
    if (seen.has(id)) break;
    if (Number.isNaN(id) || Number.isNaN(ts[s] as number)) _nullKey(nodeId);
    seen.add(id);
  }
  for (let i = s; i < n; i++) {
    if (ids[i] !== ids[i - s] || !((ts[i] as number) > (ts[i - s] as number))) return undefined;
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

function _generalLayout(nodeId: string, ids: Float64Array, ts: Float64Array): _AssetLayout {
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
    const t = ts[i] as number;
    if (Number.isNaN(id) || Number.isNaN(t)) _nullKey(nodeId);
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

/**
 * For each row, the row index of its asset's row `lag` rows earlier (a lead of `−lag` rows
 * when `lag < 0`), `−1` when there is none. Cached per layout and lag (read-only).
 */
export function _laggedRows(layout: _AssetLayout, lag: number): Int32Array {
  let byLag = _lagCache.get(layout);
  if (byLag === undefined) {
    byLag = new Map();
    _lagCache.set(layout, byLag);
  }
  const cached = byLag.get(lag);
  if (cached !== undefined) return cached;
  const { order, offsets } = layout;
  const out = new Int32Array(order.length);
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const b = offsets[g + 1] as number;
    for (let k = a; k < b; k++) {
      const j = k - lag;
      out[order[k] as number] = j >= a && j < b ? order[j] as number : -1;
    }
  }
  byLag.set(lag, out);
  return out;
}

/**
 * Runs a per-asset kernel on column `x`: `kernel(series, stride)` gets the whole column of a
 * regular frame (its `stride` interleaved asset series, see `_AssetLayout.stride`) or, on
 * other frames, each asset's values in time order (stride 1), and returns arrays as long as
 * `series`; their values come back in frame order. A kernel must give each series the values
 * it gives that series alone (as the stride-aware window sums do).
 */
export function _perAsset<R extends Float64Array[] | []>(
  x: Float64Array,
  layout: _AssetLayout,
  kernel: (series: Float64Array, stride: number) => R,
): R {
  const s = layout.stride;
  if (s > 0 || x.length === 0) return kernel(x, Math.max(s, 1));
  const { order, offsets } = layout;
  const n = order.length;
  const inOrder = new Float64Array(n); // x with each asset's rows contiguous, in time order
  for (let k = 0; k < n; k++) inOrder[k] = x[order[k] as number] as number;
  let outs: Float64Array[] = [];
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const results = kernel(inOrder.subarray(a, offsets[g + 1]), 1);
    if (g === 0) outs = results.map(() => new Float64Array(n));
    for (let j = 0; j < results.length; j++) {
      _scatterInto(outs[j] as Float64Array, results[j] as Float64Array, order, a);
    }
  }
  return outs as R;
}

/** `out[order[at + t]] = values[t]` for each `t`. */
function _scatterInto(
  out: Float64Array,
  values: Float64Array,
  order: Uint32Array,
  at: number,
): void {
  for (let t = 0; t < values.length; t++) out[order[at + t] as number] = values[t] as number;
}
