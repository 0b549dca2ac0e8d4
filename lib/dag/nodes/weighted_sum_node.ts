/** `WeightedSumNode`: a prediction as a fixed linear combination of columns. */
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _float64Column, _guard, _requireColumns, _withNullableValues } from "./_frame.ts";
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
 * `out = Σ_i weights[i] · in_cols[i]`, row by row, summed in config order; null where any
 * input is null.
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
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_cols, weights, out_col } = this.config;
    _requireColumns(this.id, df, in_cols, "in_cols");
    return _guard(this.id, () => {
      const fast = _weightedSum(df, in_cols, weights, out_col);
      if (fast !== undefined) return fast;
      const terms = in_cols.map((col, i) => pl.col(col).cast(pl.Float64).mul(weights[i]));
      const sum = terms.slice(1).reduce((acc, term) => acc.plus(term), terms[0] as pl.Expr);
      return df.withColumns(sum.alias(out_col));
    });
  }
}

/**
 * The weighted sum computed in JS with the Polars expression's operations and order
 * (`((x_0·w_0 + x_1·w_1) + x_2·w_2) …`, null where any input is null, NaN kept); `undefined`
 * (use Polars) unless every input column is Float64.
 */
function _weightedSum(
  df: pl.DataFrame,
  inCols: readonly string[],
  weights: readonly number[],
  outCol: string,
): pl.DataFrame | undefined {
  const cols = [];
  for (const c of inCols) {
    const col = _float64Column(df, c);
    if (col === undefined) return undefined;
    cols.push(col);
  }
  const n = df.height;
  const out = new Float64Array(n);
  const first = cols[0] as (typeof cols)[number];
  const w0 = weights[0] as number;
  for (let i = 0; i < n; i++) out[i] = (first.values[i] as number) * w0;
  for (let k = 1; k < cols.length; k++) {
    const x = (cols[k] as (typeof cols)[number]).values;
    const w = weights[k] as number;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (x[i] as number) * w;
  }
  const isNull = new Uint8Array(n);
  for (const { nulls } of cols) {
    if (nulls === undefined) continue;
    for (let i = 0; i < n; i++) if (nulls[i] === 1) isNull[i] = 1;
  }
  const nullRows: number[] = [];
  for (let i = 0; i < n; i++) if (isNull[i] === 1) nullRows.push(i);
  return _withNullableValues(df, outCol, out, Uint32Array.from(nullRows));
}
