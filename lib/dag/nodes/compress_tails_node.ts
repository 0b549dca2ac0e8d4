/** `CompressTailsNode`: smooth clipping `scale · tanh(x / scale)` of chosen columns. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns, _sameRows } from "./_frame.ts";
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

  /** Adds or replaces the compressed columns. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_cols, scale, suffix } = this.config;
    _requireColumns(this.id, df, in_cols, "in_cols");
    return _guard(this.id, () =>
      _sameRows(
        df,
        df.withColumns(
          ...in_cols.map((col) =>
            pl.col(col).cast(pl.Float64).div(scale).tanh().mul(scale).alias(col + suffix)
          ),
        ),
        in_cols.map((col) => col + suffix),
      ));
  }
}
