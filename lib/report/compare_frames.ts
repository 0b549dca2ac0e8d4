/**
 * `compareFrames`: a bar-by-bar comparison of two frames keyed by `timestamp` (per bar) or
 * `(timestamp, asset_id)` (per asset per bar), both sorted by their keys — the generic core of
 * reconciliation, whatever produced the frames.
 *
 * Rows are aligned by key (a merge walk over sorted keys) within `(start, end]`. A value
 * differs when `|a − b| > tolerance × scale`, where `scale` is the largest `|value|` of that
 * column on either side (per asset for asset-keyed frames), so the tolerance is relative to the
 * column's magnitude and a 1e-12 residue next to zero is no difference; NaN equals NaN, and NaN
 * against a number always differs. A key present on one side only is a missing row (with
 * `missingAsZero`, not when all its values are 0 or NaN: an asset a portfolio never held).
 */
import type pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { _floats, _timeMs } from "./_frame_io.ts";

/** A row key. */
export interface FrameKey {
  /** Bar end, epoch ms. */
  timestamp: number;
  /** Asset id (asset-keyed frames). */
  asset_id?: number;
}

/** One differing value. */
export interface ValueDifference {
  /** Where. */
  key: FrameKey;
  /** Value in the first frame (null = NaN). */
  a: number | null;
  /** Value in the second frame (null = NaN). */
  b: number | null;
}

/** The comparison of one column. */
export interface ColumnDifference {
  /** Column name. */
  column: string;
  /** Values compared (rows present on both sides). */
  compared: number;
  /** Values beyond the tolerance (NaN-against-number included). */
  differing: number;
  /** Largest |a − b| over finite pairs. */
  maxAbsDiff: number;
  /** Largest |a − b| / scale over finite pairs. */
  maxScaledDiff: number;
  /** The differing value with the largest scaled difference (NaN-against-number first). */
  largest: ValueDifference | null;
  /** The first differing value in key order. */
  first: ValueDifference | null;
}

/** The earliest difference of a comparison. */
export interface FirstDifference {
  /** Where. */
  key: FrameKey;
  /** The differing column; null for a missing row. */
  column: string | null;
  /** Value in the first frame (null = NaN or missing). */
  a: number | null;
  /** Value in the second frame (null = NaN or missing). */
  b: number | null;
  /** For a missing row: the frame that lacks it. */
  missingIn: "a" | "b" | null;
}

/** Keys present on one side only. */
export interface MissingRows {
  /** How many. */
  count: number;
  /** The first, in key order. */
  first: FrameKey | null;
}

/** The result of `compareFrames`. */
export interface FrameComparison {
  /** The key columns. */
  keys: ("timestamp" | "asset_id")[];
  /** The tolerance used. */
  tolerance: number;
  /** Rows present on both sides. */
  rows: number;
  /** Rows of the first frame only. */
  onlyInA: MissingRows;
  /** Rows of the second frame only. */
  onlyInB: MissingRows;
  /** One entry per compared column. */
  columns: ColumnDifference[];
  /** Σ differing values + missing rows. */
  differences: number;
  /** The earliest difference in key order. */
  first: FirstDifference | null;
}

/** Options of `compareFrames`. */
export interface CompareFramesOptions {
  /** Key columns: `["timestamp"]` or `["timestamp", "asset_id"]`. Required. */
  keys: readonly ("timestamp" | "asset_id")[];
  /** Columns to compare. Default: the numeric columns both frames have, keys excluded. */
  columns?: readonly string[] | undefined;
  /** Relative tolerance (of the column's magnitude). Default: 1e-9. */
  tolerance?: number | undefined;
  /** Compare rows with `timestamp > start`. Default: no bound. */
  start?: number | undefined;
  /** ... and `timestamp <= end`. Default: no bound. */
  end?: number | undefined;
  /** A row on one side only whose values are all 0 or NaN is no difference. Default: false. */
  missingAsZero?: boolean | undefined;
}

/** Default relative tolerance of comparisons. */
export const DEFAULT_TOLERANCE = 1e-9;

/** Compares `a` and `b` bar by bar (see the module documentation). */
export function compareFrames(
  a: pl.DataFrame,
  b: pl.DataFrame,
  options: CompareFramesOptions,
): FrameComparison {
  const keys = [...options.keys];
  const byAsset = keys.includes("asset_id");
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance >= 0)) throw new DataError(`Invalid tolerance ${tolerance}: expected >= 0`);
  const columns = options.columns !== undefined
    ? options.columns.filter((c) => a.columns.includes(c) && b.columns.includes(c))
    : a.columns.filter((c) =>
      !keys.includes(c as "timestamp") && b.columns.includes(c) &&
      a.getColumn(c).isNumeric() && b.getColumn(c).isNumeric()
    );
  const ka = _keys(a, byAsset, "first frame");
  const kb = _keys(b, byAsset, "second frame");
  const va = columns.map((c) => _floats(a, c, "Cannot compare the first frame"));
  const vb = columns.map((c) => _floats(b, c, "Cannot compare the second frame"));
  const lo = options.start ?? -Infinity;
  const hi = options.end ?? Infinity;
  const inRange = (t: number) => t > lo && t <= hi;
  const zeroRow = (values: Float64Array[], i: number) =>
    values.every((v) => {
      const x = v[i] as number;
      return x === 0 || Number.isNaN(x);
    });

  // Merge walk: aligned index pairs, and the rows found on one side only.
  const pairA: number[] = [];
  const pairB: number[] = [];
  const onlyA: MissingRows = { count: 0, first: null };
  const onlyB: MissingRows = { count: 0, first: null };
  let firstMissing: { key: FrameKey; inA: boolean } | undefined;
  const missing = (side: MissingRows, key: FrameKey, inA: boolean) => {
    side.count++;
    side.first ??= key;
    if (firstMissing === undefined) firstMissing = { key, inA };
  };
  let i = 0;
  let j = 0;
  const na = ka.t.length;
  const nb = kb.t.length;
  while (i < na || j < nb) {
    const cmp = i >= na ? 1 : j >= nb ? -1 : _compareKeys(ka, i, kb, j);
    if (cmp === 0) {
      if (inRange(ka.t[i] as number)) {
        pairA.push(i);
        pairB.push(j);
      }
      i++;
      j++;
    } else if (cmp < 0) {
      if (inRange(ka.t[i] as number) && !(options.missingAsZero && zeroRow(va, i))) {
        missing(onlyA, _key(ka, i, byAsset), true);
      }
      i++;
    } else {
      if (inRange(kb.t[j] as number) && !(options.missingAsZero && zeroRow(vb, j))) {
        missing(onlyB, _key(kb, j, byAsset), false);
      }
      j++;
    }
  }

  const n = pairA.length;
  const result: ColumnDifference[] = [];
  let first: FrameComparison["first"] = null;
  let firstPair = Infinity;
  columns.forEach((column, c) => {
    const xa = va[c] as Float64Array;
    const xb = vb[c] as Float64Array;
    // Scale: largest |value| of the column (per asset when asset-keyed).
    const scales = new Map<number, number>();
    for (let p = 0; p < n; p++) {
      const ia = pairA[p] as number;
      const group = byAsset ? ka.a[ia] as number : 0;
      const m = Math.max(_abs(xa[ia] as number), _abs(xb[pairB[p] as number] as number));
      if (m > (scales.get(group) ?? 0)) scales.set(group, m);
    }
    const out: ColumnDifference = {
      column,
      compared: n,
      differing: 0,
      maxAbsDiff: 0,
      maxScaledDiff: 0,
      largest: null,
      first: null,
    };
    let largestScore = -1;
    for (let p = 0; p < n; p++) {
      const ia = pairA[p] as number;
      const x = xa[ia] as number;
      const y = xb[pairB[p] as number] as number;
      const xNaN = Number.isNaN(x);
      const yNaN = Number.isNaN(y);
      if (xNaN && yNaN) continue;
      let differs: boolean;
      let score: number;
      if (xNaN || yNaN) {
        differs = true;
        score = Infinity;
      } else {
        const d = Math.abs(x - y);
        const scale = scales.get(byAsset ? ka.a[ia] as number : 0) ?? 0;
        const scaled = d === 0 ? 0 : scale > 0 ? d / scale : Infinity;
        if (d > out.maxAbsDiff) out.maxAbsDiff = d;
        if (Number.isFinite(scaled) && scaled > out.maxScaledDiff) out.maxScaledDiff = scaled;
        differs = d > tolerance * scale;
        score = scaled;
      }
      if (!differs) continue;
      out.differing++;
      const diff: ValueDifference = {
        key: _key(ka, ia, byAsset),
        a: xNaN ? null : x,
        b: yNaN ? null : y,
      };
      out.first ??= diff;
      if (score > largestScore) {
        largestScore = score;
        out.largest = diff;
      }
      if (p < firstPair) {
        firstPair = p;
        first = { key: diff.key, column, a: diff.a, b: diff.b, missingIn: null };
      }
    }
    result.push(out);
  });
  // A missing row earlier than the first differing value comes first.
  const fm = firstMissing as { key: FrameKey; inA: boolean } | undefined;
  if (fm !== undefined) {
    const current = first as FrameComparison["first"];
    if (current === null || compareFrameKeys(fm.key, current.key) < 0) {
      first = { key: fm.key, column: null, a: null, b: null, missingIn: fm.inA ? "b" : "a" };
    }
  }
  return {
    keys,
    tolerance,
    rows: n,
    onlyInA: onlyA,
    onlyInB: onlyB,
    columns: result,
    differences: onlyA.count + onlyB.count + result.reduce((s, r) => s + r.differing, 0),
    first,
  };
}

/** Orders two keys: by timestamp, then asset id. */
export function compareFrameKeys(x: FrameKey, y: FrameKey): number {
  return x.timestamp - y.timestamp || (x.asset_id ?? 0) - (y.asset_id ?? 0);
}

interface _Keys {
  t: Float64Array;
  a: Float64Array;
}

function _keys(df: pl.DataFrame, byAsset: boolean, what: string): _Keys {
  const where = `Cannot compare the ${what}`;
  for (const k of byAsset ? ["timestamp", "asset_id"] : ["timestamp"]) {
    if (!df.columns.includes(k)) {
      throw new DataError(`${where}: no key column '${k}' (columns: ${df.columns.join(", ")})`);
    }
  }
  const t = _timeMs(df, "timestamp", where);
  const a = byAsset ? _floats(df, "asset_id", where) : new Float64Array(t.length);
  for (let i = 1; i < t.length; i++) {
    const d = (t[i] as number) - (t[i - 1] as number) || (a[i] as number) - (a[i - 1] as number);
    if (!(d > 0)) {
      throw new DataError(
        `${where}: keys must be sorted and unique; row ${i} (${
          new Date(t[i] as number).toISOString()
        }${byAsset ? ` asset ${a[i]}` : ""}) is not after the previous row`,
      );
    }
  }
  return { t, a };
}

function _compareKeys(x: _Keys, i: number, y: _Keys, j: number): number {
  return (x.t[i] as number) - (y.t[j] as number) || (x.a[i] as number) - (y.a[j] as number);
}

function _key(k: _Keys, i: number, byAsset: boolean): FrameKey {
  return byAsset
    ? { timestamp: k.t[i] as number, asset_id: k.a[i] as number }
    : { timestamp: k.t[i] as number };
}

function _abs(x: number): number {
  return Number.isNaN(x) ? 0 : Math.abs(x);
}
