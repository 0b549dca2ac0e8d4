/** `LagsNode`: per-asset lagged copies of columns. */
import type { Column, ColumnFrame } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _lagged, _layout, _requireCols } from "./_columns.ts";
import { _merge, _names, _nonNegativeInt, _positiveInt } from "./_options.ts";

/** Config of `LagsNode` (the keys of its config template). */
export type LagsNodeConfig = {
  /** Columns to lag. Default `["ret_0_vol_adj"]`. */
  in_cols: string[];
  /** Number of lags per column. Default `3`. */
  n_lags: number;
  /** The first lag: lags are `first_lag .. first_lag + n_lags − 1` (0 = the current value). Default `0`. */
  first_lag: number;
};

/**
 * Adds `<col>_lag_<k>` = the asset's value `k` rows earlier, for each column and each
 * `k` in `first_lag .. first_lag + n_lags − 1` (with the default `first_lag = 0`, `_lag_0` is a
 * copy of the current value, as in the DataFlow reference's lag features). Null where the
 * asset has fewer than `k` earlier rows.
 */
export class LagsNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_cols: ["ret_0_vol_adj"], n_lags: 3, first_lag: 0}`. */
  static readonly configTemplate: Readonly<LagsNodeConfig> = {
    in_cols: ["ret_0_vol_adj"],
    n_lags: 3,
    first_lag: 0,
  };
  /** The node's resolved config. */
  readonly config: Readonly<LagsNodeConfig>;

  /** Creates the node; `options` override `LagsNode.configTemplate`. */
  constructor(id: string, options: Partial<LagsNodeConfig> = {}) {
    super(id);
    const c = _merge(id, LagsNode.configTemplate, options);
    _names(id, "in_cols", c.in_cols);
    _positiveInt(id, "n_lags", c.n_lags);
    _nonNegativeInt(id, "first_lag", c.first_lag);
    this.config = Object.freeze({ ...c, in_cols: [...c.in_cols] });
  }

  /** `first_lag + n_lags` (the largest lag plus the current bar). */
  lookbackBars(): number {
    return this.config.first_lag + this.config.n_lags;
  }

  /** The output column names, in the order they are added. */
  outputColumns(): string[] {
    const { in_cols, n_lags, first_lag } = this.config;
    return in_cols.flatMap((col) =>
      Array.from({ length: n_lags }, (_, i) => `${col}_lag_${first_lag + i}`)
    );
  }

  /**
   * Adds the lag columns (any column kind; `_lag_0` shares the input column). On a regular
   * frame an asset's lag k is the whole column shifted k·stride rows.
   */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_cols, n_lags, first_lag } = this.config;
    _requireCols(this.id, frame, in_cols, "in_cols");
    const layout = _layout(this.id, frame);
    const out: [string, Column][] = [];
    for (const col of in_cols) {
      const c = frame.column(col);
      for (let i = 0; i < n_lags; i++) {
        const k = first_lag + i;
        out.push([`${col}_lag_${k}`, _lagged(c, layout, k)]);
      }
    }
    return frame.with(out);
  }
}
