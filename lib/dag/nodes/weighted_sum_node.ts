/** `WeightedSumNode`: a prediction as a fixed linear combination of columns. */
import { ConfigError } from "../../errors/mod.ts";
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _numbers, _requireCols } from "./_columns.ts";
import { _finiteNumber, _merge, _name, _names } from "./_options.ts";

/** Config of `WeightedSumNode` (the keys of its config template). */
export type WeightedSumNodeConfig = {
  /** Input columns. Default `["ret_0_vol_adj_lag_0"]`. */
  in_cols: string[];
  /** One weight per input column, same order. Default `[1]`. */
  weights: number[];
  /** Output column. Default `"prediction"`. */
  out_col: string;
};

/**
 * `out = Σ_i weights[i] · in_cols[i]`, row by row, summed in config order
 * (`((x_0·w_0 + x_1·w_1) + x_2·w_2) …`); null where any input is null.
 */
export class WeightedSumNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_cols: ["ret_0_vol_adj_lag_0"], weights: [1], out_col: "prediction"}`. */
  static readonly configTemplate: Readonly<WeightedSumNodeConfig> = {
    in_cols: ["ret_0_vol_adj_lag_0"],
    weights: [1],
    out_col: "prediction",
  };
  /** The node's resolved config. */
  readonly config: Readonly<WeightedSumNodeConfig>;

  /** Creates the node; `options` override `WeightedSumNode.configTemplate`. */
  constructor(id: string, options: Partial<WeightedSumNodeConfig> = {}) {
    super(id);
    const c = _merge(id, WeightedSumNode.configTemplate, options);
    _names(id, "in_cols", c.in_cols);
    _name(id, "out_col", c.out_col);
    if (!Array.isArray(c.weights) || c.weights.length !== c.in_cols.length) {
      throw new ConfigError(
        `Node ${id}: config key 'weights' must list one number per 'in_cols' entry ` +
          `(${c.in_cols.length}), got ${JSON.stringify(c.weights)}`,
      );
    }
    c.weights.forEach((w, i) => _finiteNumber(id, `weights[${i}]`, w));
    this.config = Object.freeze({ ...c, in_cols: [...c.in_cols], weights: [...c.weights] });
  }

  /** 1: row by row. */
  lookbackBars(): number {
    return 1;
  }

  /** Adds `out_col`. */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_cols, weights, out_col } = this.config;
    _requireCols(this.id, frame, in_cols, "in_cols");
    const xs = in_cols.map((col) => _numbers(this.id, frame, col, "in_cols"));
    const n = frame.height;
    const out = new Float64Array(n);
    const x0 = xs[0] as Float64Array;
    const w0 = weights[0] as number;
    for (let i = 0; i < n; i++) out[i] = (x0[i] as number) * w0;
    for (let k = 1; k < xs.length; k++) {
      const x = xs[k] as Float64Array;
      const w = weights[k] as number;
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (x[i] as number) * w;
    }
    return frame.with([[out_col, f64Column(out)]]);
  }
}
