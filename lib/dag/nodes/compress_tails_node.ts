/** `CompressTailsNode`: smooth clipping `scale · tanh(x / scale)` of chosen columns. */
import { type Column, type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _numbers, _requireCols } from "./_columns.ts";
import { _merge, _names, _positiveNumber, _text } from "./_options.ts";

/** Config of `CompressTailsNode` (the keys of its config template). */
export type CompressTailsNodeConfig = {
  /** Columns to compress. Default `["ret_0_vol_adj"]`. */
  in_cols: string[];
  /** The asymptote: outputs lie in `(−scale, scale)`, ≈ identity for `|x| ≪ scale`. Default `4`. */
  scale: number;
  /** Output column = input column + `suffix`; `""` replaces the columns in place. Default `""`. */
  suffix: string;
};

/** Tail compression `scale · tanh(x / scale)`, row by row (no lookback). */
export class CompressTailsNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_cols: ["ret_0_vol_adj"], scale: 4, suffix: ""}`. */
  static readonly configTemplate: Readonly<CompressTailsNodeConfig> = {
    in_cols: ["ret_0_vol_adj"],
    scale: 4,
    suffix: "",
  };
  /** The node's resolved config. */
  readonly config: Readonly<CompressTailsNodeConfig>;

  /** Creates the node; `options` override `CompressTailsNode.configTemplate`. */
  constructor(id: string, options: Partial<CompressTailsNodeConfig> = {}) {
    super(id);
    const c = _merge(id, CompressTailsNode.configTemplate, options);
    _names(id, "in_cols", c.in_cols);
    _positiveNumber(id, "scale", c.scale);
    _text(id, "suffix", c.suffix);
    this.config = Object.freeze({ ...c, in_cols: [...c.in_cols] });
  }

  /** 1: row by row. */
  lookbackBars(): number {
    return 1;
  }

  /** Adds or replaces the compressed columns (`Math.tanh`; null stays null). */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_cols, scale, suffix } = this.config;
    _requireCols(this.id, frame, in_cols, "in_cols");
    const out: [string, Column][] = [];
    for (const col of in_cols) {
      const x = _numbers(this.id, frame, col, "in_cols");
      const n = x.length;
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) y[i] = Math.tanh((x[i] as number) / scale) * scale;
      out.push([col + suffix, f64Column(y)]);
    }
    return frame.with(out);
  }
}
