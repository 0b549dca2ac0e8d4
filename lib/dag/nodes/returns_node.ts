/** `ReturnsNode`: per-asset simple or log returns of a price column. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns } from "./_frame.ts";
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
      const p = pl.col(in_col).cast(pl.Float64);
      const ratio = p.div(p.shift(1));
      const ret = mode === "pct" ? ratio.minus(1) : ratio.log();
      return df.withColumns(ret.over("asset_id").alias(out_col));
    });
  }
}
