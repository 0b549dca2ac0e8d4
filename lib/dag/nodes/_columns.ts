/**
 * Private helpers of the node library on `ColumnFrame`s: column checks, numeric columns,
 * per-asset lags of columns, and the per-asset row layout and timestamp groups (cached in the
 * frame's key cache, so the frames a DAG run derives from one input share them).
 */
import { ConfigError, DataError } from "../../errors/mod.ts";
import type { Column, ColumnFrame, NumericColumn } from "../../frame/mod.ts";
import { type _AssetLayout, _laggedRows, _layoutOf } from "./_frame.ts";

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
 * Numeric column `col` (not read from Polars by this call); throws `ConfigError` for a missing
 * column (naming `key`) and `DataError` for a string column.
 */
export function _numericColumn(
  nodeId: string,
  frame: ColumnFrame,
  col: string,
  key = "",
): NumericColumn {
  _requireCols(nodeId, frame, [col], key);
  const c = frame.column(col);
  if (c.kind === "str") {
    throw new DataError(
      `Node ${nodeId}: column '${col}' holds strings, not numbers; fix the node's input`,
    );
  }
  return c;
}

/** The values of numeric column `col` (NaN = null; read-only); throws as `_numericColumn`. */
export function _numbers(nodeId: string, frame: ColumnFrame, col: string, key = ""): Float64Array {
  return _numericColumn(nodeId, frame, col, key).values;
}

const _LAYOUT = "assetLayout";

/**
 * The per-asset layout of a long frame (see `_AssetLayout`), cached in the frame's key cache.
 * Throws `ConfigError` without the `timestamp` and `asset_id` columns, and `DataError` for a
 * null key or timestamps that do not strictly increase within each asset (the frame
 * contract's sort), naming the row.
 */
export function _layout(nodeId: string, frame: ColumnFrame): _AssetLayout {
  const cache = frame.keyCache();
  const cached = cache.get(_LAYOUT) as _AssetLayout | undefined;
  if (cached !== undefined) return cached;
  _requireCols(nodeId, frame, ["timestamp", "asset_id"], "");
  const ts = _numbers(nodeId, frame, "timestamp");
  const layout = _layoutOf(nodeId, _numbers(nodeId, frame, "asset_id"), ts);
  cache.set(_LAYOUT, layout);
  return layout;
}

/**
 * Each asset's value `lag` rows earlier (`−lag` rows later when `lag < 0`), null where there
 * is none; same kind (a string column keeps its dictionary), and `column` itself for lag 0.
 */
export function _lagged<C extends Column>(column: C, layout: _AssetLayout, lag: number): C;
export function _lagged(column: Column, layout: _AssetLayout, lag: number): Column {
  if (lag === 0) return column;
  // On a regular frame an asset's lag is the column moved `lag · stride` rows.
  return layout.stride > 0
    ? _shiftColumn(column, lag * layout.stride)
    : _takeRows(column, _laggedRows(layout, lag));
}

/** `column` moved down `d` rows (up when `d < 0`), null in the rows left empty. */
function _shiftColumn(column: Column, d: number): Column {
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

/** The column's values at `rows` (row indices; null where an index is −1). */
function _takeRows(column: Column, rows: Int32Array): Column {
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
