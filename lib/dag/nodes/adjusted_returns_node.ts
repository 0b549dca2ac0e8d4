/** `AdjustedReturnsNode`: returns divided by the asset's delayed volatility. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  _float64Column,
  _guard,
  _laggedRows,
  _requireColumns,
  _tryAssetLayout,
  _withNullableValues,
} from "./_frame.ts";
import { _merge, _name, _nonNegativeInt } from "./_options.ts";

/** Config of `AdjustedReturnsNode` (the keys of its config template). */
export type AdjustedReturnsNodeConfig = {
  /** Returns column. Default `"ret_0"`. */
  ret_col: string;
  /** Volatility column. Default `"vol"`. */
  vol_col: string;
  /** Output column. Default `"ret_0_vol_adj"`. */
  out_col: string;
  /** Bars by which the volatility is delayed: `ret_t / vol_{t−delay}` (per asset rows). Default `1`. */
  delay: number;
};

/**
 * Volatility-adjusted returns per asset: `ret_t / vol_{t−delay}`, the volatility taken
 * `delay` rows of the asset earlier (default 1, so the scale is known before the return).
 * Null where either is null or the volatility is not positive.
 */
export class AdjustedReturnsNode extends TransformNode implements LookbackNode {
  /** Default config: `{ret_col: "ret_0", vol_col: "vol", out_col: "ret_0_vol_adj", delay: 1}`. */
  static readonly configTemplate: Readonly<AdjustedReturnsNodeConfig> = {
    ret_col: "ret_0",
    vol_col: "vol",
    out_col: "ret_0_vol_adj",
    delay: 1,
  };
  /** The node's resolved config. */
  readonly config: Readonly<AdjustedReturnsNodeConfig>;

  /** Creates the node; `options` override `AdjustedReturnsNode.configTemplate`. */
  constructor(id: string, options: Partial<AdjustedReturnsNodeConfig> = {}) {
    super(id);
    const c = _merge(id, AdjustedReturnsNode.configTemplate, options);
    _name(id, "ret_col", c.ret_col);
    _name(id, "vol_col", c.vol_col);
    _name(id, "out_col", c.out_col);
    _nonNegativeInt(id, "delay", c.delay);
    this.config = Object.freeze(c);
  }

  /** `delay + 1`. */
  lookbackBars(): number {
    return this.config.delay + 1;
  }

  /** Adds `out_col`. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { ret_col, vol_col, out_col, delay } = this.config;
    _requireColumns(this.id, df, [ret_col, vol_col], "ret_col/vol_col");
    _requireColumns(this.id, df, ["asset_id"], "");
    return _guard(this.id, () => {
      const fast = _adjusted(df, ret_col, vol_col, out_col, delay);
      if (fast !== undefined) return fast;
      const vol = pl.col(vol_col).cast(pl.Float64).shift(delay).over("asset_id");
      const adj = pl.when(vol.gt(0)).then(pl.col(ret_col).cast(pl.Float64).div(vol)).otherwise(
        pl.lit(null),
      );
      return df.withColumns(adj.alias(out_col));
    });
  }
}

/**
 * The adjusted returns computed in JS with the Polars expression's semantics: null where the
 * return is null, the delayed volatility is null (or missing), or it is not `> 0` in Polars'
 * order (where NaN is above every number, so a NaN volatility gives `ret / NaN`); otherwise
 * `ret / vol` (NaN kept). `undefined` (use Polars) unless both columns are Float64 and the
 * frame's keys give a valid layout.
 */
function _adjusted(
  df: pl.DataFrame,
  retCol: string,
  volCol: string,
  outCol: string,
  delay: number,
): pl.DataFrame | undefined {
  const ret = _float64Column(df, retCol);
  const vol = _float64Column(df, volCol);
  if (ret === undefined || vol === undefined) return undefined;
  const layout = _tryAssetLayout(df);
  if (layout === undefined) return undefined;
  const n = ret.values.length;
  const s = layout.stride;
  const lagged = delay === 0 || s > 0 ? undefined : _laggedRows(layout, delay);
  const d = delay * s;
  const r = ret.values;
  const v = vol.values;
  const rNull = ret.nulls;
  const vNull = vol.nulls;
  const out = new Float64Array(n);
  const nullRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = delay === 0 ? i : lagged === undefined ? i - d : lagged[i] as number;
    const x = j < 0 ? Number.NaN : v[j] as number;
    if (
      j < 0 || (vNull !== undefined && vNull[j] === 1) ||
      (rNull !== undefined && rNull[i] === 1) || !(x > 0 || Number.isNaN(x))
    ) {
      nullRows.push(i);
    } else {
      out[i] = (r[i] as number) / x;
    }
  }
  return _withNullableValues(df, outCol, out, Uint32Array.from(nullRows));
}
