/** `VolatilityNode`: per-asset EWMA volatility over a finite window. */
import type pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
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
import { _merge, _minPeriods, _name, _positiveInt, _positiveNumber } from "./_options.ts";
import { _validMask, _windowSum } from "./_window_sum.ts";

/** Config of `VolatilityNode` (the keys of its config template). */
export type VolatilityNodeConfig = {
  /** Returns column. Default `"ret_0"`. */
  in_col: string;
  /** Output column. Default `"vol"`. */
  out_col: string;
  /**
   * Decay time in bars: `α = 1 − exp(−1/tau)` (weights fall by `e` every `tau` bars, the
   * DataFlow signal-processing convention). Used when `com` is null. Default `32`.
   */
  tau: number | null;
  /** Pandas-style centre of mass: `α = 1 / (1 + com)`; overrides `tau` when set. Default `null`. */
  com: number | null;
  /** Bars in the finite EWMA window (weights `(1−α)^k` for `k < window`). Default `320`. */
  window: number;
  /** Valid returns needed in the window for a value (else null); null = `window`. Default `null`. */
  min_periods: number | null;
};

/**
 * EWMA volatility of a returns column, per asset: `sqrt(Σ_k w_k r²_{t−k} / Σ_k w_k)` over the
 * valid (non-null) returns among the last `window` bars, `w_k = (1−α)^k`, no demeaning.
 * The window is finite so the value at t is reproducible exactly from `window` bars of history
 * (an infinite EWMA would depend on where the data starts); with the defaults the weights
 * beyond the window sum to `e^{-10}` of the total.
 */
export class VolatilityNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "ret_0", out_col: "vol", tau: 32, com: null, window: 320, min_periods: null}`. */
  static readonly configTemplate: Readonly<VolatilityNodeConfig> = {
    in_col: "ret_0",
    out_col: "vol",
    tau: 32,
    com: null,
    window: 320,
    min_periods: null,
  };
  /** The node's resolved config. */
  readonly config: Readonly<VolatilityNodeConfig>;
  /** The EWMA smoothing factor α. */
  readonly alpha: number;
  readonly #minPeriods: number;

  /** Creates the node; `options` override `VolatilityNode.configTemplate`. */
  constructor(id: string, options: Partial<VolatilityNodeConfig> = {}) {
    super(id);
    const c = _merge(id, VolatilityNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _positiveInt(id, "window", c.window);
    if (c.com !== null) {
      this.alpha = 1 / (1 + _positiveNumber(id, "com", c.com, { allowZero: true }));
    } else if (c.tau !== null) {
      this.alpha = 1 - Math.exp(-1 / _positiveNumber(id, "tau", c.tau));
    } else {
      throw new ConfigError(`Node ${id}: set config key 'tau' or 'com' (both are null)`);
    }
    this.#minPeriods = _minPeriods(id, c.window, c.min_periods, 1);
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
      const r = _gather(_values(df, in_col), layout);
      const decay = 1 - this.alpha;
      const minPeriods = this.#minPeriods;
      const vol = _perAsset(r, layout, (seg) => {
        const m = seg.length;
        const sq = new Float64Array(m);
        for (let t = 0; t < m; t++) {
          const v = seg[t] as number;
          if (!Number.isNaN(v)) sq[t] = v * v;
        }
        const valid = _validMask(seg);
        const num = _windowSum(sq, window, decay);
        const den = _windowSum(valid, window, decay);
        const count = _windowSum(valid, window, 1);
        const out = new Float64Array(m);
        for (let t = 0; t < m; t++) {
          out[t] = (count[t] as number) >= minPeriods
            ? Math.sqrt((num[t] as number) / (den[t] as number))
            : Number.NaN;
        }
        return out;
      });
      return _withValues(df, [[out_col, _scatter(vol, layout)]]);
    });
  }
}
