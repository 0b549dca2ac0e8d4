/**
 * Private helpers of the node library: the per-asset row layout of a long frame (rows grouped
 * by asset, in time order) and per-asset row arithmetic on it (previous and lagged rows,
 * gathering columns into asset order and back). `_columns.ts` builds layouts from frames.
 */
import { DataError } from "../../errors/mod.ts";
import { formatTime } from "../../sim/bar_schema.ts";

/** Cached previous-row indices of layouts. */
const _previous = new WeakMap<_AssetLayout, Int32Array>();

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

/** The layout of a regular frame of `n` rows cycling through `s` assets. */
export function _regular(n: number, s: number): _AssetLayout {
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

export function _layoutOf(nodeId: string, ids: Float64Array, ts: Float64Array): _AssetLayout {
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
