/** `ReturnsNode`: per-asset simple or log returns of a price column. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  _float64Column,
  _guard,
  _previousRows,
  _requireColumns,
  _tryAssetLayout,
  _withNullableValues,
} from "./_frame.ts";
import { _merge, _name, _oneOf } from "./_options.ts";

/** Config of `ReturnsNode` (the keys of its config template). */
export type ReturnsNodeConfig = {
  /** Price column. Default `"close"`. */
  in_col: string;
  /** Output column. Default `"ret_0"`. */
  out_col: string;
  /** `"pct"`: `p_t / p_{t−1} − 1`; `"log"`: `ln(p_t / p_{t−1})`. Default `"pct"`. */
  mode: "pct" | "log";
};

/**
 * Per-asset returns over one bar: the return at bar t uses the asset's rows t−1 and t (the
 * previous row of the asset, whatever its timestamp); the asset's first row gets null.
 */
export class ReturnsNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "close", out_col: "ret_0", mode: "pct"}`. */
  static readonly configTemplate: Readonly<ReturnsNodeConfig> = {
    in_col: "close",
    out_col: "ret_0",
    mode: "pct",
  };
  /** The node's resolved config. */
  readonly config: Readonly<ReturnsNodeConfig>;

  /** Creates the node; `options` override `ReturnsNode.configTemplate`. */
  constructor(id: string, options: Partial<ReturnsNodeConfig> = {}) {
    super(id);
    const c = _merge(id, ReturnsNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _oneOf(id, "mode", c.mode, ["pct", "log"] as const);
    this.config = Object.freeze(c);
  }

  /** 2: the current and the previous bar. */
  lookbackBars(): number {
    return 2;
  }

  /** Adds `out_col`. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_col, out_col, mode } = this.config;
    _requireColumns(this.id, df, [in_col], "in_col");
    _requireColumns(this.id, df, ["asset_id"], "");
    return _guard(this.id, () => {
      if (mode === "pct") {
        const fast = _pctReturns(df, in_col, out_col);
        if (fast !== undefined) return fast;
      }
      const p = pl.col(in_col).cast(pl.Float64);
      const ratio = p.div(p.shift(1));
      const ret = mode === "pct" ? ratio.minus(1) : ratio.log();
      return df.withColumns(ret.over("asset_id").alias(out_col));
    });
  }
}

/**
 * Simple returns computed in JS over the asset layout: the same IEEE operations as the Polars
 * expression (`p_t / p_{t−1} − 1`, null where either price is null or there is no previous
 * row, NaN kept as NaN), without a query plan. `undefined` (use Polars) unless the price column
 * is Float64 and the frame's keys give a valid layout.
 */
function _pctReturns(df: pl.DataFrame, inCol: string, outCol: string): pl.DataFrame | undefined {
  const col = _float64Column(df, inCol);
  if (col === undefined) return undefined;
  const layout = _tryAssetLayout(df);
  if (layout === undefined) return undefined;
  const { values: p, nulls } = col;
  const n = p.length;
  const ret = new Float64Array(n);
  const nullRows: number[] = [];
  const s = layout.stride;
  if (s > 0 && nulls === undefined) {
    // Regular frame without null prices: the previous row of the asset is `s` rows up.
    for (let i = 0; i < Math.min(s, n); i++) nullRows.push(i);
    for (let i = s; i < n; i++) ret[i] = (p[i] as number) / (p[i - s] as number) - 1;
  } else {
    const prev = _previousRows(layout);
    for (let i = 0; i < n; i++) {
      const j = prev[i] as number;
      if (j < 0 || (nulls !== undefined && (nulls[i] === 1 || nulls[j] === 1))) {
        nullRows.push(i);
      } else {
        ret[i] = (p[i] as number) / (p[j] as number) - 1;
      }
    }
  }
  return _withNullableValues(df, outCol, ret, Uint32Array.from(nullRows));
}
