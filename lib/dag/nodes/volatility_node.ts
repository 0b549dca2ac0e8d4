/** `VolatilityNode`: per-asset EWMA volatility over a finite window. */
import { ConfigError } from "../../errors/mod.ts";
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _perAsset } from "./_frame.ts";
import { _layout, _numbers } from "./_columns.ts";
import { _merge, _minPeriods, _name, _positiveInt, _positiveNumber } from "./_options.ts";
import { _validMask, _windowCount, _windowSum } from "./_window_sum.ts";

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
  #denTable: Float64Array | undefined;

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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, out_col, window } = this.config;
    const values = _numbers(this.id, frame, in_col, "in_col");
    const layout = _layout(this.id, frame);
    const decay = 1 - this.alpha;
    const minPeriods = this.#minPeriods;
    const denTable = this.#denominators(Math.min(window, values.length));
    const [vol] = _perAsset(values, layout, (r, stride) => [
      _volatility(r, { window, decay, minPeriods, denTable, stride }),
    ]);
    return frame.with([[out_col, f64Column(vol)]]);
  }

  /**
   * The weight sums over a window whose invalid returns all precede its valid ones, by the
   * number of valid returns − 1 (see `_volatility`), at least `length` of them. The window
   * sum at `t` of a run of ones depends only on `t` (not on the run's length), so the table
   * is computed once per node and grown when a longer one is asked for.
   */
  #denominators(length: number): Float64Array {
    const cached = this.#denTable;
    if (cached !== undefined && cached.length >= length) return cached;
    const table = _windowSum(new Float64Array(length).fill(1), this.config.window, 1 - this.alpha);
    this.#denTable = table;
    return table;
  }
}

/**
 * The volatility of returns `r` (with `stride` s, of each of its s interleaved asset series,
 * see `_windowSums`): `sqrt(num / den)` with `num` the decayed window sum of the squared
 * valid returns, `den` that of the validity mask, NaN where fewer than `minPeriods` returns
 * of the window are valid. When every series' invalid returns come first (the usual case:
 * only the first return is null), a series' mask is 0…0 1…1 and its window sum at `t` is, bit
 * for bit, `denTable[min(t − p, window − 1)]` (`p` invalid values first): the doubling sums
 * skip exact zeros, so they are the same expressions as on a series of ones.
 */
function _volatility(
  r: Float64Array,
  options: {
    window: number;
    decay: number;
    minPeriods: number;
    denTable: Float64Array;
    stride: number;
  },
): Float64Array {
  const { window, decay, minPeriods, denTable, stride } = options;
  const m = r.length;
  const sq = new Float64Array(m);
  const lead = new Int32Array(stride); // each series' invalid returns before its first valid one
  const started = new Uint8Array(stride);
  let prefixOnly = true;
  for (let i = 0, g = 0; i < m; i++) {
    const v = r[i] as number;
    if (!Number.isNaN(v)) {
      sq[i] = v * v;
      started[g] = 1;
    } else if (started[g] === 1) {
      prefixOnly = false;
    } else {
      lead[g] = (lead[g] as number) + 1;
    }
    if (++g === stride) g = 0;
  }
  const num = _windowSum(sq, window, decay, stride);
  const out = num; // in place: each value is read once, before it is overwritten
  if (prefixOnly) {
    for (let i = 0, g = 0, t = 0; i < m; i++) {
      const n = Math.min(t - (lead[g] as number) + 1, window); // valid returns in the window
      out[i] = n >= minPeriods && n > 0
        ? Math.sqrt((num[i] as number) / (denTable[n - 1] as number))
        : Number.NaN;
      if (++g === stride) {
        g = 0;
        t++;
      }
    }
    return out;
  }
  const den = _windowSum(_validMask(r), window, decay, stride);
  const count = _windowCount(r, window, stride);
  for (let i = 0; i < m; i++) {
    out[i] = (count[i] as number) >= minPeriods
      ? Math.sqrt((num[i] as number) / (den[i] as number))
      : Number.NaN;
  }
  return out;
}
