/** `VolatilityNode`: per-asset EWMA volatility over a finite window. */
import { ConfigError } from "../../errors/mod.ts";
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _gather } from "./_frame.ts";
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
    if (layout.stride > 0) {
      const vol = _regularVolatility(values, layout.stride, window, decay, minPeriods, denTable);
      if (vol !== undefined) return frame.with([[out_col, f64Column(vol)]]);
    }
    const r = _gather(values, layout);
    const vol = new Float64Array(r.length);
    const { order, offsets } = layout;
    for (let g = 0; g + 1 < offsets.length; g++) {
      const a = offsets[g] as number;
      const seg = r.subarray(a, offsets[g + 1]);
      const out = _volatility(seg, window, decay, minPeriods, denTable);
      for (let t = 0; t < out.length; t++) vol[order[a + t] as number] = out[t] as number;
    }
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
 * `_volatility` of every asset of a regular frame (stride `s`) at once, on the frame as is;
 * `undefined` when some asset has an invalid return after a valid one (use `_volatility`).
 */
function _regularVolatility(
  r: Float64Array,
  s: number,
  window: number,
  decay: number,
  minPeriods: number,
  denTable: Float64Array,
): Float64Array | undefined {
  const n = r.length;
  const sq = new Float64Array(n);
  const lead = new Int32Array(s); // each asset's invalid returns before its first valid one
  const started = new Uint8Array(s);
  for (let base = 0; base < n; base += s) {
    for (let g = 0; g < s && base + g < n; g++) {
      const v = r[base + g] as number;
      if (!Number.isNaN(v)) {
        sq[base + g] = v * v;
        started[g] = 1;
      } else if (started[g] === 1) {
        return undefined;
      } else {
        lead[g] = (lead[g] as number) + 1;
      }
    }
  }
  const num = _windowSum(sq, window, decay, s);
  const out = num; // in place: each value is read once, before it is overwritten
  for (let base = 0, t = 0; base < n; base += s, t++) {
    for (let g = 0; g < s && base + g < n; g++) {
      const i = base + g;
      const k = Math.min(t - (lead[g] as number) + 1, window); // valid returns in the window
      out[i] = k >= minPeriods && k > 0
        ? Math.sqrt((num[i] as number) / (denTable[k - 1] as number))
        : Number.NaN;
    }
  }
  return out;
}

/**
 * One asset's volatility: `sqrt(num / den)` with `num` the decayed window sum of the squared
 * valid returns, `den` that of the validity mask, NaN where fewer than `minPeriods` returns
 * of the window are valid. When the segment's invalid returns all come first (the usual case:
 * only the first return is null), the mask is 0…0 1…1 and its window sum at `t` is, bit for
 * bit, `denTable[min(t − p, window − 1)]` (`p` invalid values first): the doubling sums skip
 * exact zeros, so they are the same expressions as on a segment of ones.
 */
function _volatility(
  seg: Float64Array,
  window: number,
  decay: number,
  minPeriods: number,
  denTable: Float64Array,
): Float64Array {
  const m = seg.length;
  const sq = new Float64Array(m);
  let lead = 0; // invalid returns before the first valid one
  while (lead < m && Number.isNaN(seg[lead] as number)) lead++;
  let prefixOnly = true;
  for (let t = lead; t < m; t++) {
    const v = seg[t] as number;
    if (Number.isNaN(v)) prefixOnly = false;
    else sq[t] = v * v;
  }
  const num = _windowSum(sq, window, decay);
  const out = new Float64Array(m);
  if (prefixOnly) {
    for (let t = 0; t < m; t++) {
      const n = Math.min(t - lead + 1, window); // valid returns in the window
      out[t] = n >= minPeriods && n > 0
        ? Math.sqrt((num[t] as number) / (denTable[n - 1] as number))
        : Number.NaN;
    }
    return out;
  }
  const den = _windowSum(_validMask(seg), window, decay);
  const count = _windowCount(seg, window);
  for (let t = 0; t < m; t++) {
    out[t] = (count[t] as number) >= minPeriods
      ? Math.sqrt((num[t] as number) / (den[t] as number))
      : Number.NaN;
  }
  return out;
}
