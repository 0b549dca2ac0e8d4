/** `AdjustedReturnsNode`: returns divided by the asset's delayed volatility. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _laggedRows } from "./_frame.ts";
import { _layout, _numbers, _requireCols } from "./_columns.ts";
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
 * Null where either is null (NaN counts as null) or the volatility is not positive.
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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { ret_col, vol_col, out_col, delay } = this.config;
    _requireCols(this.id, frame, [ret_col, vol_col], "ret_col/vol_col");
    _requireCols(this.id, frame, ["asset_id"], "");
    const r = _numbers(this.id, frame, ret_col);
    const v = _numbers(this.id, frame, vol_col);
    const n = r.length;
    const out = new Float64Array(n);
    const layout = delay === 0 ? undefined : _layout(this.id, frame);
    if (layout === undefined || layout.stride > 0) {
      // The asset's row `delay` rows earlier is `delay · stride` rows up on a regular frame
      // (one pass, no index), the row itself for delay 0.
      const d = layout === undefined ? 0 : Math.min(delay * layout.stride, n);
      out.fill(Number.NaN, 0, d);
      for (let i = d; i < n; i++) {
        const x = v[i - d] as number;
        out[i] = x > 0 ? (r[i] as number) / x : Number.NaN;
      }
    } else {
      const lagged = _laggedRows(layout, delay);
      for (let i = 0; i < n; i++) {
        const j = lagged[i] as number;
        const x = j < 0 ? Number.NaN : v[j] as number;
        out[i] = x > 0 ? (r[i] as number) / x : Number.NaN;
      }
    }
    return frame.with([[out_col, f64Column(out)]]);
  }
}
