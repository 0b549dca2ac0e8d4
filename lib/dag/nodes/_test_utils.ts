/**
 * Private test helpers of the node library: a small synthetic long frame (assets interleaved
 * by timestamp, staggered starts, a gap), exact frame comparison, the causality checks every
 * node's test runs (prefix causality and start independence), and the checks of the
 * `ColumnFrame` path (against the Polars path, and on tail slices: what tiled, incremental
 * and vectorized runs rely on).
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame, stringAt } from "../../frame/mod.ts";
import type { ColumnFrames, Node } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";

/** 5 minutes in ms. */
export const _FIVE_MIN = 300_000;
/** 2025-01-01T00:00Z in ms. */
export const _T0 = Date.UTC(2025, 0, 1);
/** The asset ids of `_bars` (deliberately not in sorted order of creation). */
export const _ASSETS = [3_000_000_007, 1_000_000_003, 2_000_000_005] as const;

/** A deterministic uniform [0, 1) generator (mulberry32). */
export function _rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Synthetic 5-minute bars for `_ASSETS`, long format, sorted by (timestamp, asset_id): the
 * first asset has all `n` bars, the second starts 7 bars late, the third misses bars 40–42
 * (a gap) — unless `options.regular` (default false): then every asset has every bar (a
 * REGULAR frame, which the node library processes on a faster path). Columns: timestamp,
 * asset_id, full_symbol, open, high, low, close, volume.
 */
export function _bars(n = 120, seed = 7, options: { regular?: boolean } = {}): pl.DataFrame {
  const rand = _rng(seed);
  const ts: number[] = [];
  const ids: number[] = [];
  const syms: string[] = [];
  const o: number[] = [];
  const h: number[] = [];
  const l: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const last = new Map<number, number>(_ASSETS.map((a, i) => [a, 100 * (i + 1)]));
  for (let i = 0; i < n; i++) {
    for (const a of _ASSETS) {
      const skip = !options.regular &&
        ((a === _ASSETS[1] && i < 7) || (a === _ASSETS[2] && i >= 40 && i <= 42));
      const open = last.get(a) as number;
      const close = open * (1 + (rand() - 0.5) * 0.02);
      last.set(a, close);
      const hi = Math.max(open, close) * (1 + rand() * 0.005);
      const lo = Math.min(open, close) * (1 - rand() * 0.005);
      const vol = i % 17 === 5 ? 0 : rand() * 10;
      if (skip) continue;
      ts.push(_T0 + (i + 1) * _FIVE_MIN);
      ids.push(a);
      syms.push(`binance::A${a}_USDT`);
      o.push(open);
      h.push(hi);
      l.push(lo);
      c.push(close);
      v.push(vol);
    }
  }
  return pl.DataFrame({
    timestamp: pl.Series("timestamp", Float64Array.from(ts)).cast(pl.Int64).cast(
      pl.Datetime("ms", "UTC"),
    ),
    asset_id: pl.Series("asset_id", Float64Array.from(ids)).cast(pl.Int64),
    full_symbol: syms,
    open: Float64Array.from(o),
    high: Float64Array.from(h),
    low: Float64Array.from(l),
    close: Float64Array.from(c),
    volume: Float64Array.from(v),
  }).sort(["timestamp", "asset_id"]);
}

/** A column as plain JS values: numbers (NaN kept), null, strings; datetimes as epoch ms. */
export function _col(df: pl.DataFrame, name: string): (number | string | boolean | null)[] {
  let s = df.getColumn(name);
  if (s.dtype.equals(pl.Datetime("ms", "UTC")) || String(s.dtype).startsWith("Datetime")) {
    s = s.cast(pl.Int64).cast(pl.Float64);
  } else if (s.dtype.equals(pl.Int64)) {
    s = s.cast(pl.Float64);
  }
  return s.toArray() as (number | string | boolean | null)[];
}

/** Asserts equal columns, equal row counts and bit-identical values (null = null, NaN = NaN). */
export function _assertFramesEqual(a: pl.DataFrame, b: pl.DataFrame, what: string): void {
  assert.deepEqual(a.columns, b.columns, `${what}: columns`);
  assert.equal(a.height, b.height, `${what}: row count`);
  for (const name of a.columns) {
    const x = _col(a, name);
    const y = _col(b, name);
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) {
        assert.fail(`${what}: column '${name}' row ${i}: ${x[i]} !== ${y[i]}`);
      }
    }
  }
}

/** Asserts `|a − b| <= tol` elementwise (null only where `expected` is null). */
export function _assertClose(
  actual: (number | string | boolean | null)[],
  expected: (number | null)[],
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === null || e === undefined) {
      assert.equal(a, null, `${what}[${i}]: expected null, got ${a}`);
    } else {
      assert.equal(typeof a, "number", `${what}[${i}]: expected ${e}, got ${a}`);
      assert.ok(Math.abs((a as number) - e) <= tol, `${what}[${i}]: ${a} vs expected ${e}`);
    }
  }
}

/** The `df_out` of a node's outputs (asserting there is one). */
function _out<T>(id: string, frames: Record<string, T>): T {
  const out = frames["df_out"];
  assert.ok(out !== undefined, `node ${id} returned no df_out`);
  return out;
}

function _run(node: LookbackNode, df: pl.DataFrame): pl.DataFrame {
  return _out(node.id, node.predict({ df_in: df }));
}

function _cutTimes(df: pl.DataFrame): number[] {
  const times = [...new Set(_col(df, "timestamp") as number[])].sort((x, y) => x - y);
  const n = times.length;
  return [1, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 2]
    .filter((i) => i > 0 && i < n)
    .map((i) => times[i] as number);
}

/**
 * Prefix causality: for several cut times t, the output on the rows with timestamp <= t equals
 * the full output's rows with timestamp <= t, bit for bit.
 */
export function _assertPrefixCausal(node: LookbackNode, df: pl.DataFrame): void {
  const full = _run(node, df);
  for (const t of _cutTimes(df)) {
    const cut = pl.lit(t).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
    const part = _run(node, df.filter(pl.col("timestamp").ltEq(cut)));
    _assertFramesEqual(
      part,
      full.filter(pl.col("timestamp").ltEq(cut)),
      `${node.id} prefix causality at ${new Date(t).toISOString()}`,
    );
  }
}

/**
 * Start independence: for several start times s, the output on the rows with timestamp >= s
 * equals the full output on every row that has at least `node.lookbackBars()` rows of its
 * asset (including itself) in the sliced frame, bit for bit.
 */
export function _assertStartIndependent(node: LookbackNode, df: pl.DataFrame): void {
  const full = _run(node, df);
  const need = node.lookbackBars();
  let compared = 0;
  for (const s of _cutTimes(df)) {
    const start = pl.lit(s).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
    const sliced = df.filter(pl.col("timestamp").gtEq(start));
    const part = _run(node, sliced);
    const rowNo = pl.col("timestamp").cumCount().over("asset_id"); // 1-based
    const keys = sliced.select("timestamp", "asset_id", rowNo.alias("_row"))
      .filter(pl.col("_row").gtEq(need)).select("timestamp", "asset_id");
    const a = part.join(keys, { on: ["timestamp", "asset_id"], how: "semi" });
    const b = full.join(keys, { on: ["timestamp", "asset_id"], how: "semi" });
    compared += a.height;
    _assertFramesEqual(a, b, `${node.id} start independence from ${new Date(s).toISOString()}`);
  }
  assert.ok(compared > 0, `${node.id}: no rows with enough lookback after any start`);
}

/**
 * Applies a plain-JS per-asset computation: `fn` gets the asset's values of `col` in time
 * order (null for null) and returns one output per value; the result is in frame order.
 */
export function _perAssetJs(
  df: pl.DataFrame,
  col: string,
  fn: (xs: (number | null)[]) => (number | null)[],
): (number | null)[] {
  const ids = _col(df, "asset_id") as number[];
  const xs = _col(df, col) as (number | null)[];
  const rowsOf = new Map<number, number[]>();
  ids.forEach((id, i) => {
    const rows = rowsOf.get(id) ?? [];
    rows.push(i);
    rowsOf.set(id, rows);
  });
  const out = new Array<number | null>(ids.length).fill(null);
  for (const rows of rowsOf.values()) {
    const ys = fn(rows.map((i) => xs[i] ?? null));
    rows.forEach((i, k) => {
      out[i] = ys[k] ?? null;
    });
  }
  return out;
}

/**
 * `df` with holes in `col`: a null at every 11th row and a NaN at every 13th (from row 20), so
 * nodes meet both kinds of missing value inside the data, not only at its start.
 */
function _withHoles(df: pl.DataFrame, col: string): pl.DataFrame {
  const x = _col(df, col) as (number | null)[];
  const holed = x.map((v, i) => i >= 20 && i % 11 === 0 ? null : i >= 20 && i % 13 === 0 ? NaN : v);
  return df.withColumns(pl.Series(col, holed, pl.Float64));
}

/** The frames the fast-path tests run on: regular and not, each with and without holes in `col`. */
export function _variants(n: number, col = "close"): [string, pl.DataFrame][] {
  const irregular = _bars(n);
  const regular = _bars(n, 7, { regular: true });
  return [
    ["irregular", irregular],
    ["irregular with holes", _withHoles(irregular, col)],
    ["regular", regular],
    ["regular with holes", _withHoles(regular, col)],
  ];
}

/**
 * A per-asset node on the whole frame equals the node run on each asset's rows alone, bit for
 * bit (the multi-asset paths against the single-series one).
 */
export function _assertSameAsPerAsset(node: LookbackNode, df: pl.DataFrame, what: string): void {
  const full = _run(node, df);
  for (const id of _ASSETS) {
    const mine = pl.col("asset_id").eq(pl.lit(id));
    _assertFramesEqual(_run(node, df.filter(mine)), full.filter(mine), `${what}, asset ${id}`);
  }
}

/** A node with the column path (`predictColumns`), e.g. any `TransformNode`. */
type _ColumnNode = Node & { predictColumns(inputs: ColumnFrames): ColumnFrames };

/**
 * `predictColumns` on `df` read as a `ColumnFrame` equals `predict` on the Polars frame, bit
 * for bit, with the same columns, order and Polars types.
 */
export function _assertColumnsLikePolars(node: _ColumnNode, df: pl.DataFrame, what: string): void {
  const viaPolars = _out(node.id, node.predict({ df_in: df }));
  const viaColumns = _out(node.id, node.predictColumns({ df_in: ColumnFrame.fromPolars(df) }));
  const back = viaColumns.toPolars();
  assert.deepEqual(back.dtypes.map(String), viaPolars.dtypes.map(String), `${what}: types`);
  _assertFramesEqual(back, viaPolars, `${what}: predictColumns vs predict`);
}

/**
 * Tail slices: for several start rows (some inside a timestamp), `predictColumns` on
 * `frame.slice(start, …)` equals the whole frame's output, bit for bit in every column, on the
 * rows with complete history: at least `lookback` rows of their asset in the slice and, when
 * `options.crossSectional`, every row of their timestamp in the slice. Asserts that some rows
 * were compared and returns their number.
 */
export function _assertTailSlicesAgree(
  node: _ColumnNode,
  frame: ColumnFrame,
  lookback: number,
  what: string,
  options: { crossSectional?: boolean } = {},
): number {
  const full = _out(node.id, node.predictColumns({ df_in: frame }));
  const n = frame.height;
  const ts = frame.values("timestamp");
  const ids = frame.values("asset_id");
  let compared = 0;
  for (const start of [1, Math.floor(n / 5), Math.floor(n / 3) + 1, Math.floor(n / 2), n - 7]) {
    if (start <= 0 || start >= n) continue;
    const part = _out(node.id, node.predictColumns({ df_in: frame.slice(start, n - start) }));
    assert.deepEqual(part.columns, full.columns, `${what}: slice from ${start}: columns`);
    const partial = ts[start - 1] === ts[start]; // the slice cuts its first timestamp
    const seen = new Map<number, number>();
    for (let i = start; i < n; i++) {
      const id = ids[i] as number;
      const k = (seen.get(id) ?? 0) + 1;
      seen.set(id, k);
      if (k < lookback) continue;
      if (options.crossSectional && partial && ts[i] === ts[start]) continue;
      compared++;
      for (const name of full.columns) {
        const pc = part.column(name);
        const fc = full.column(name);
        const a = pc.kind === "str" ? stringAt(pc, i - start) : pc.values[i - start];
        const b = fc.kind === "str" ? stringAt(fc, i) : fc.values[i];
        if (!Object.is(a, b)) {
          assert.fail(`${what}: slice from row ${start}: column '${name}' row ${i}: ${a} !== ${b}`);
        }
      }
    }
  }
  assert.ok(compared > 0, `${what}: no row with complete history in any slice`);
  return compared;
}

/** `df` with every NaN of its Float64 columns as null (how a `ColumnFrame` reads it). */
export function _nanAsNull(df: pl.DataFrame): pl.DataFrame {
  return df.withColumns(
    ...df.columns.filter((c) => df.getColumn(c).dtype.equals(pl.Float64)).map((c) =>
      pl.col(c).fillNan(null)
    ),
  );
}
