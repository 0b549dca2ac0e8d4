/** `ReturnsNode`: per-asset simple or log returns of a price column. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _laggedRows } from "./_frame.ts";
import { _layout, _numbers } from "./_columns.ts";
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
 * previous row of the asset, whatever its timestamp); null where there is no previous row
 * (the asset's first row) or either price is null.
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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, out_col, mode } = this.config;
    const p = _numbers(this.id, frame, in_col, "in_col");
    const layout = _layout(this.id, frame);
    const n = p.length;
    const ret = new Float64Array(n);
    const log = mode === "log";
    const s = layout.stride;
    if (s > 0) {
      // Regular frame: the asset's previous row is `s` rows up (one pass, no index).
      ret.fill(Number.NaN, 0, Math.min(s, n));
      if (log) {
        for (let i = s; i < n; i++) ret[i] = Math.log((p[i] as number) / (p[i - s] as number));
      } else {
        for (let i = s; i < n; i++) ret[i] = (p[i] as number) / (p[i - s] as number) - 1;
      }
    } else {
      const prev = _laggedRows(layout, 1);
      for (let i = 0; i < n; i++) {
        const j = prev[i] as number;
        if (j < 0) {
          ret[i] = Number.NaN;
        } else {
          const r = (p[i] as number) / (p[j] as number);
          ret[i] = log ? Math.log(r) : r - 1;
        }
      }
    }
    return frame.with([[out_col, f64Column(ret)]]);
  }
}
