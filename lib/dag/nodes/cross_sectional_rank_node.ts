/** `CrossSectionalRankNode`: the rank of a column among the assets at each timestamp. */
import { type ColumnFrame, f64Column, lowerBound, upperBound } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _numbers, _timeGroups } from "./_columns.ts";
import { _normalQuantile } from "./_normal_quantile.ts";
import { _merge, _name, _oneOf } from "./_options.ts";

/** How `CrossSectionalRankNode` scales ranks. */
export type CrossSectionalRankMode = "raw" | "uniform" | "gaussian";

/** Config of `CrossSectionalRankNode` (the keys of its config template). */
export type CrossSectionalRankNodeConfig = {
  /** Input column. Default `"ret_0"`. */
  in_col: string;
  /** Output column. Default `"cs_rank"`. */
  out_col: string;
  /**
   * `"raw"`: average rank 1..n; `"uniform"`: `2 (r − 1) / (n − 1) − 1` in [−1, 1] (0 when
   * n = 1); `"gaussian"`: `Φ⁻¹((r − 0.5) / n)`. Default `"uniform"`.
   */
  mode: CrossSectionalRankMode;
};

/**
 * Ranks a column across the assets of each timestamp (`.over("timestamp")`): ascending, ties
 * get their average rank, null/NaN values get null and do not count in n (the number of
 * valid values at the timestamp). Each value depends only on its timestamp's rows, so it is
 * causal with no lookback and start-independent; it does depend on which assets are in the
 * frame (asset tiling changes it).
 */
export class CrossSectionalRankNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "ret_0", out_col: "cs_rank", mode: "uniform"}`. */
  static readonly configTemplate: Readonly<CrossSectionalRankNodeConfig> = {
    in_col: "ret_0",
    out_col: "cs_rank",
    mode: "uniform",
  };
  /** The node's resolved config. */
  readonly config: Readonly<CrossSectionalRankNodeConfig>;

  /** Creates the node; `options` override `CrossSectionalRankNode.configTemplate`. */
  constructor(id: string, options: Partial<CrossSectionalRankNodeConfig> = {}) {
    super(id);
    const c = _merge(id, CrossSectionalRankNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _oneOf(id, "mode", c.mode, ["raw", "uniform", "gaussian"] as const);
    this.config = Object.freeze(c);
  }

  /** 1: only the current timestamp. */
  lookbackBars(): number {
    return 1;
  }

  /** Adds `out_col`. */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, out_col, mode } = this.config;
    const x = _numbers(this.id, frame, in_col, "in_col");
    const groups = _timeGroups(this.id, frame);
    const out = new Float64Array(x.length);
    let scratch = new Float64Array(0);
    const idx = new Int32Array(_SMALL_GROUP);
    for (let g = 0; g + 1 < groups.length; g++) {
      const a = groups[g] as number;
      const b = groups[g + 1] as number;
      let n: number; // valid values at the timestamp
      if (b - a > _SMALL_GROUP) {
        if (scratch.length < b - a) scratch = new Float64Array(b - a);
        n = _sortedRanks(x, a, b, out, scratch);
      } else {
        n = _insertionRanks(x, a, b, out, idx);
      }
      for (let i = a; i < b; i++) out[i] = _scaled(out[i] as number, n, mode);
    }
    return frame.with([[out_col, f64Column(out)]]);
  }
}

/** Groups up to this size are ranked by an insertion sort, larger ones by a native sort. */
const _SMALL_GROUP = 32;

/**
 * Average ranks of `x[a..b)` into `out[a..b)` (NaN for NaN): the valid rows insertion-sorted by
 * value in `idx` (at least `_SMALL_GROUP` long), then each run of equal values `[lo, hi)` of
 * the sorted order gets `(lo + 1 + hi) / 2` — `lo` values are below it and `hi` at most it.
 * Returns the number of valid values.
 */
function _insertionRanks(
  x: Float64Array,
  a: number,
  b: number,
  out: Float64Array,
  idx: Int32Array,
): number {
  let m = 0;
  for (let i = a; i < b; i++) {
    const v = x[i] as number;
    if (Number.isNaN(v)) {
      out[i] = Number.NaN;
      continue;
    }
    let j = m++;
    while (j > 0 && (x[idx[j - 1] as number] as number) > v) {
      idx[j] = idx[j - 1] as number;
      j--;
    }
    idx[j] = i;
  }
  for (let lo = 0; lo < m;) {
    const v = x[idx[lo] as number] as number;
    let hi = lo + 1;
    while (hi < m && x[idx[hi] as number] === v) hi++;
    const r = (lo + 1 + hi) / 2;
    for (let k = lo; k < hi; k++) out[idx[k] as number] = r;
    lo = hi;
  }
  return m;
}

/**
 * `_insertionRanks` by sorting the valid values (in `scratch`, at least `b − a` long) and
 * binary-searching each value's bounds: the same counts, so the same ranks.
 */
function _sortedRanks(
  x: Float64Array,
  a: number,
  b: number,
  out: Float64Array,
  scratch: Float64Array,
): number {
  let m = 0;
  for (let i = a; i < b; i++) {
    const v = x[i] as number;
    if (!Number.isNaN(v)) scratch[m++] = v;
  }
  const sorted = scratch.subarray(0, m).sort();
  for (let i = a; i < b; i++) {
    const v = x[i] as number;
    if (Number.isNaN(v)) {
      out[i] = Number.NaN;
      continue;
    }
    const below = lowerBound(sorted, v);
    const atMost = upperBound(sorted, v);
    out[i] = (below + 1 + atMost) / 2;
  }
  return m;
}

/** Rank `r` (NaN = null) among `n` valid values, scaled as `mode` says. */
function _scaled(r: number, n: number, mode: CrossSectionalRankMode): number {
  if (mode === "raw" || Number.isNaN(r)) return r;
  if (mode === "uniform") return n > 1 ? ((r - 1) * 2) / (n - 1) - 1 : 0;
  return _normalQuantile((r - 0.5) / n);
}
