/**
 * Private helpers of the node library on `ColumnFrame`s: column checks, numeric columns and
 * the per-asset row layout (cached in the frame's key cache, so the frames a DAG run derives
 * from one input share it).
 */
import { ConfigError, DataError } from "../../errors/mod.ts";
import type { Column, ColumnFrame } from "../../frame/mod.ts";
import { type _AssetLayout, _layoutOf, _regular } from "./_frame.ts";

/**
 * Throws `ConfigError` naming the node, the config key (`""` for columns the node always
 * needs) and the frame's columns when some of `cols` are missing.
 */
export function _requireCols(
  nodeId: string,
  frame: ColumnFrame,
  cols: readonly string[],
  key: string,
): void {
  const missing = cols.filter((c) => !frame.has(c));
  if (missing.length === 0) return;
  const names = missing.map((c) => `'${c}'`).join(", ");
  const where = key === "" ? "" : ` (config key '${key}')`;
  const fix = key === "" ? "fix the node's input" : `fix '${key}' or the node's input`;
  throw new ConfigError(
    `Node ${nodeId}: column(s) ${names}${where} not in its input frame ` +
      `(columns: ${frame.columns.join(", ")}); ${fix}`,
  );
}

/**
 * The values of numeric column `col` (NaN = null; read-only); throws `ConfigError` for a
 * missing column (naming `key`) and `DataError` for a string column.
 */
export function _numbers(nodeId: string, frame: ColumnFrame, col: string, key = ""): Float64Array {
  _requireCols(nodeId, frame, [col], key);
  const c = frame.column(col);
  if (c.kind === "str") {
    throw new DataError(
      `Node ${nodeId}: column '${col}' holds strings, not numbers; fix the node's input`,
    );
  }
  return c.values;
}

const _LAYOUT = "assetLayout";

/**
 * The per-asset layout of a long frame (see `_AssetLayout`), cached in the frame's key cache.
 * Checks that keys are present and not null and that timestamps strictly increase within each
 * asset (the frame contract's sort), throwing `DataError` naming the row otherwise.
 */
export function _layout(nodeId: string, frame: ColumnFrame): _AssetLayout {
  const cache = frame.keyCache();
  const cached = cache.get(_LAYOUT) as _AssetLayout | undefined;
  if (cached !== undefined) return cached;
  const ts = _numbers(nodeId, frame, "timestamp");
  const ids = _numbers(nodeId, frame, "asset_id");
  const n = ts.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(ts[i] as number) || Number.isNaN(ids[i] as number)) {
      throw new DataError(`Node ${nodeId}: null timestamp or asset_id in its input frame`);
    }
  }
  const layout = _regularOf(ids, ts) ?? _layoutOf(nodeId, ids, ts);
  cache.set(_LAYOUT, layout);
  return layout;
}

/**
 * The layout of a regular frame (rows cycle through the same `s` assets, timestamps
 * increasing within each), or `undefined` when the frame is not regular.
 */
function _regularOf(ids: Float64Array, ts: Float64Array): _AssetLayout | undefined {
  const n = ids.length;
  if (n === 0) return undefined;
  const seen = new Set<number>();
  let s = 0;
  for (; s < n; s++) {
    const id = ids[s] as number;
    if (seen.has(id)) break;
    seen.add(id);
  }
  for (let i = s; i < n; i++) {
    if (ids[i] !== ids[i - s] || !((ts[i] as number) > (ts[i - s] as number))) return undefined;
  }
  return _regular(n, s);
}

/**
 * `column` moved down `d` rows (up when `d < 0`), null in the rows left empty; same kind (a
 * string column keeps its dictionary). On a regular frame (see `_AssetLayout.stride`) a shift
 * by `k · stride` rows is each asset's lag `k` (lead `−k`).
 */
export function _shiftColumn(column: Column, d: number): Column {
  const n = column.values.length;
  const k = Math.min(Math.abs(d), n);
  if (column.kind === "str") {
    const out = new Int32Array(n);
    if (d >= 0) {
      out.fill(-1, 0, k);
      out.set(column.values.subarray(0, n - k), k);
    } else {
      out.set(column.values.subarray(k));
      out.fill(-1, n - k);
    }
    return { kind: "str", values: out, dictionary: column.dictionary };
  }
  const out = new Float64Array(n);
  if (d >= 0) {
    out.fill(Number.NaN, 0, k);
    out.set(column.values.subarray(0, n - k), k);
  } else {
    out.set(column.values.subarray(k));
    out.fill(Number.NaN, n - k);
  }
  return { kind: column.kind, values: out };
}

/**
 * The column's values at `rows` (row indices; null where an index is −1); same kind (a string
 * column keeps its dictionary).
 */
export function _takeRows(column: Column, rows: Int32Array): Column {
  const n = rows.length;
  if (column.kind === "str") {
    const v = column.values;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as number;
      out[i] = r < 0 ? -1 : v[r] as number;
    }
    return { kind: "str", values: out, dictionary: column.dictionary };
  }
  const v = column.values;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    out[i] = r < 0 ? Number.NaN : v[r] as number;
  }
  return { kind: column.kind, values: out };
}

/** For each row, the row index of its asset's row `lead` (≥ 1) rows later (`−1` when none). */
export function _leadRows(layout: _AssetLayout, lead: number): Int32Array {
  const { offsets, stride } = layout;
  const n = offsets[offsets.length - 1] as number;
  const out = new Int32Array(n);
  if (stride > 0) {
    const d = lead * stride;
    for (let i = 0; i < n; i++) out[i] = i + d < n ? i + d : -1;
    return out;
  }
  const { order } = layout;
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g] as number;
    const b = offsets[g + 1] as number;
    for (let k = a; k < b; k++) {
      out[order[k] as number] = k + lead < b ? order[k + lead] as number : -1;
    }
  }
  return out;
}

const _TIME_GROUPS = "timeGroups";

/**
 * The frame's timestamp groups: rows `groups[j] .. groups[j+1] − 1` share a timestamp (length
 * = number of timestamps + 1), cached in the frame's key cache. Throws `ConfigError` without
 * a `timestamp` column and `DataError` for a null timestamp or a frame not sorted by time.
 */
export function _timeGroups(nodeId: string, frame: ColumnFrame): Uint32Array {
  const cache = frame.keyCache();
  const cached = cache.get(_TIME_GROUPS) as Uint32Array | undefined;
  if (cached !== undefined) return cached;
  const ts = _numbers(nodeId, frame, "timestamp");
  const n = ts.length;
  let count = n > 0 ? 1 : 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (Number.isNaN(t)) {
      throw new DataError(`Node ${nodeId}: null timestamp in its input frame`);
    }
    if (i === 0) continue;
    const prev = ts[i - 1] as number;
    if (t === prev) continue;
    if (t < prev) {
      throw new DataError(
        `Node ${nodeId}: input frame row ${i} is earlier than row ${start}; frames must ` +
          `be sorted by (timestamp, asset_id)`,
      );
    }
    start = i;
    count++;
  }
  const groups = new Uint32Array(count + 1);
  for (let i = 1, j = 1; i < n; i++) if (ts[i] !== ts[i - 1]) groups[j++] = i;
  groups[count] = n;
  cache.set(_TIME_GROUPS, groups);
  return groups;
}
