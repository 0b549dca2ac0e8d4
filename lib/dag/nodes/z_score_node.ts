/** `ZScoreNode`: per-asset rolling z-score over a window of bars, exactly window-local. */
import type pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  _assetLayout,
  _gather,
  _guard,
  _perAsset,
  _requireColumns,
  _scatter,
  _values,
  _withValues,
} from "./_frame.ts";
import { _merge, _minPeriods, _name, _positiveInt } from "./_options.ts";
import { _windowSumCount } from "./_window_sum.ts";

/** Config of `ZScoreNode` (the keys of its config template). */
export type ZScoreNodeConfig = {
  /** Input column. Default `"ret_0"`. */
  in_col: string;
  /** Output column. Default `"zscore"`. */
  out_col: string;
  /** Bars in the window, the current one included. Default `20`. */
  window: number;
  /** Valid values needed in the window (at least 2); null = `window`. Default `null`. */
  min_periods: number | null;
};

/**
 * `(x_t − mean_t) / std_t` per asset, where mean and sample standard deviation (ddof 1) are
 * over the valid values among the asset's last `window` rows, the current one included.
 * Null where `x_t` is null, fewer than `min_periods` values are valid, or the std is 0.
 * The std is a two-pass sum of squared deviations from the window mean, in time order, per
 * window (O(n·window), robust to large levels such as prices, and start-independent).
 */
export class ZScoreNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "ret_0", out_col: "zscore", window: 20, min_periods: null}`. */
  static readonly configTemplate: Readonly<ZScoreNodeConfig> = {
    in_col: "ret_0",
    out_col: "zscore",
    window: 20,
    min_periods: null,
  };
  /** The node's resolved config. */
  readonly config: Readonly<ZScoreNodeConfig>;
  readonly #minPeriods: number;

  /** Creates the node; `options` override `ZScoreNode.configTemplate`. */
  constructor(id: string, options: Partial<ZScoreNodeConfig> = {}) {
    super(id);
    const c = _merge(id, ZScoreNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _positiveInt(id, "window", c.window);
    this.#minPeriods = _minPeriods(id, c.window, c.min_periods, 2);
    this.config = Object.freeze(c);
  }

  /** `window`. */
  lookbackBars(): number {
    return this.config.window;
  }

  /** Adds `out_col`. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_col, out_col, window } = this.config;
    _requireColumns(this.id, df, [in_col], "in_col");
    return _guard(this.id, () => {
      const layout = _assetLayout(this.id, df);
      const x = _gather(_values(df, in_col), layout);
      const minPeriods = this.#minPeriods;
      const z = _perAsset(x, layout, (seg) => {
        const { sum, count } = _windowSumCount(seg, window);
        const out = new Float64Array(seg.length);
        for (let t = 0; t < seg.length; t++) {
          const n = count[t] as number;
          const xt = seg[t] as number;
          if (n < minPeriods || Number.isNaN(xt)) {
            out[t] = Number.NaN;
            continue;
          }
          const mean = (sum[t] as number) / n;
          let ss = 0;
          for (let k = Math.max(0, t - window + 1); k <= t; k++) {
            const v = seg[k] as number;
            if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
          }
          const std = Math.sqrt(ss / (n - 1));
          out[t] = std > 0 ? (xt - mean) / std : Number.NaN;
        }
        return out;
      });
      return _withValues(df, [[out_col, _scatter(z, layout)]]);
    });
  }
}
