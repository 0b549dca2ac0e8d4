/** `LagsNode`: per-asset lagged copies of columns. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  _cacheShifted,
  _float64Column,
  _guard,
  _requireColumns,
  _sameRows,
  _tryAssetLayout,
} from "./_frame.ts";
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

  /** Adds the lag columns. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_cols, n_lags, first_lag } = this.config;
    _requireColumns(this.id, df, in_cols, "in_cols");
    _requireColumns(this.id, df, ["asset_id"], "");
    return _guard(this.id, () => {
      const layout = _tryAssetLayout(df);
      if (layout !== undefined && layout.stride > 0) {
        // Regular frame: an asset's lag k is the whole column shifted k·stride rows.
        const shift = layout.stride;
        const lags = in_cols.flatMap((col) => {
          const s = df.getColumn(col);
          // Read each Float64 input once here rather than each lag in the next node.
          if (s.dtype.equals(pl.Float64)) _float64Column(df, col);
          return Array.from({ length: n_lags }, (_, i) => {
            const k = first_lag + i;
            const name = `${col}_lag_${k}`;
            return {
              col,
              name,
              rows: k * shift,
              series: (k === 0 ? s : s.shift(k * shift)).alias(name),
            };
          });
        });
        const names = lags.map((l) => l.name);
        const have = new Set(df.columns);
        let out = df;
        if (names.every((name) => !have.has(name))) {
          out = df.hstack<pl.Series[]>(lags.map((l) => l.series)); // one call
        } else {
          for (const { series } of lags) out = out.withColumn(series);
        }
        _sameRows(df, out, names);
        for (const { col, name, rows } of lags) _cacheShifted(df, out, { col, name, rows });
        return out;
      }
      return df.withColumns(
        ...in_cols.flatMap((col) =>
          Array.from({ length: n_lags }, (_, i) => {
            const k = first_lag + i;
            const e = k === 0 ? pl.col(col) : pl.col(col).shift(k).over("asset_id");
            return e.alias(`${col}_lag_${k}`);
          })
        ),
      );
    });
  }
}
