/**
 * Target positions (DESIGN §7, §8): the per-bar function that turns one bar's predictions into
 * target notionals and shares. The forecast evaluator calls it bar by bar over history and the
 * production Optimizer calls it on the live bar: one code path for research and production.
 *
 * Styles produce a weight per asset:
 * - `signal`: the prediction is the weight (e.g. 0/1 for sma_cross, −1 for short).
 * - `longitudinal`: `sign(p) · riskPerName / max(vol, 1e-4)` (× |p| with `modulateByMagnitude`);
 *   predictions with `|p| < predictionAbsThreshold` give 0. The reference's dollar risk per name
 *   is `riskPerName × targetGmv` under `gmv` sizing.
 * - `cross_sectional`: `∝ sign(gaussian_rank(p)) / max(vol, 1e-5)²`, scaled so `Σ|w| = 1`. The
 *   Gaussian rank `Φ⁻¹((r − 0.5)/n)` (r = average rank among the assets with a prediction and
 *   a volatility) is positive above the cross-sectional median, negative below, 0 at it: only
 *   its sign is used.
 *
 * Sizing turns weights into notionals: `gmv` → `w × targetGmv` (for `cross_sectional`
 * `Σ|notional| = targetGmv`); `equity` → `w × net wealth` (compounding; weight 1 = fully
 * invested). Under `equity` sizing with fees, the wealth the weights apply to is the net wealth
 * after the fees of this bar's own trades (solved by a short fixed-point iteration), so a fully
 * invested book ends with cash ≈ 0 instead of −fee. A net wealth ≤ 0 gives all-zero targets.
 *
 * Shares = notional / price, rounded to `decimals` (half away from zero) when given. A target
 * within a relative `rebalanceTolerance` of the current holdings is the current holdings exactly:
 * re-deriving shares from wealth reproduces the holdings only up to rounding noise, and a book
 * held at weight 1 must not trade every bar. A larger tolerance (e.g. 0.05) is a no-trade band.
 *
 * Missing values: a null/NaN prediction → target 0 (flat); a NaN volatility in the
 * `longitudinal`/`cross_sectional` styles → target 0; an asset without a usable price
 * (NaN or ≤ 0) and a non-zero target notional cannot be sized: its target is its current
 * holdings (no order). A zero target notional is 0 shares, with or without a price.
 */
import { UsageError } from "../errors/mod.ts";

/** Every target style. */
export const TARGET_STYLES = ["signal", "longitudinal", "cross_sectional"] as const;

/** How predictions become weights (see the module documentation). */
export type TargetStyle = typeof TARGET_STYLES[number];

/** Every sizing mode. */
export const SIZINGS = ["gmv", "equity"] as const;

/** How weights become notionals: fixed gross market value, or current net wealth. */
export type Sizing = typeof SIZINGS[number];

/** Parses a target style (e.g. from `--style`); throws `UsageError` listing the known ones. */
export function parseTargetStyle(text: string): TargetStyle {
  const value = text.trim();
  if ((TARGET_STYLES as readonly string[]).includes(value)) return value as TargetStyle;
  throw new UsageError(`Unknown style '${text}': expected one of ${TARGET_STYLES.join(", ")}`);
}

/** Parses a sizing mode (e.g. from `--sizing`); throws `UsageError` listing the known ones. */
export function parseSizing(text: string): Sizing {
  const value = text.trim();
  if ((SIZINGS as readonly string[]).includes(value)) return value as Sizing;
  throw new UsageError(`Unknown sizing '${text}': expected one of ${SIZINGS.join(", ")}`);
}

/** One bar's inputs, one entry per asset (same asset order in every array). */
export interface TargetPositionsBar {
  /** Predictions (NaN = none → target 0). */
  readonly predictions: ArrayLike<number>;
  /** Volatilities (used by `longitudinal` and `cross_sectional`). */
  readonly volatilities: ArrayLike<number>;
  /** Prices that convert notional to shares: the decision price, or the fill price (equity). */
  readonly prices: ArrayLike<number>;
  /** Current holdings in shares. */
  readonly holdings: ArrayLike<number>;
  /** Current net wealth (cash + Σ holdings × price): the base of `equity` sizing. */
  readonly netWealth: number;
}

/** Target notionals and shares per asset. */
export interface TargetPositions {
  /** Target notional (shares × price after quantization), quote currency. */
  notional: Float64Array;
  /** Target holdings in shares. */
  shares: Float64Array;
}

/** Options of `targetPositions`. */
export interface TargetPositionsOptions {
  /** How predictions become weights. Required. */
  style: TargetStyle;
  /** How weights become notionals. Required. */
  sizing: Sizing;
  /** Target gross market value for `gmv` sizing, quote currency. Required (> 0) for `gmv`. */
  targetGmv?: number | undefined;
  /** `longitudinal`: risk per name as a fraction of the sizing base. Default: 0.001. */
  riskPerName?: number | undefined;
  /** `longitudinal`: predictions with `|p|` under this give 0. Default: 0. */
  predictionAbsThreshold?: number | undefined;
  /** `longitudinal`: multiply by `|p|`. Default: false. */
  modulateByMagnitude?: boolean | undefined;
  /** Share precision: decimals to round to (−2 = lots of 100). Default: none (no rounding). */
  decimals?: number | undefined;
  /** Fee in basis points of traded notional (`equity` sizing sizes net of it). Default: 0. */
  feeBps?: number | undefined;
  /** Relative distance under which a target equals the holdings (no-trade band). Default: 1e-9. */
  rebalanceTolerance?: number | undefined;
  /** Arrays to write the result into (length ≥ number of assets). Default: new arrays. */
  out?: TargetPositions | undefined;
}

const _LONGITUDINAL_VOL_FLOOR = 1e-4;
const _CROSS_SECTIONAL_VOL_FLOOR = 1e-5;
const _MAX_FEE_ITERATIONS = 50;
const _MAX_SIGN_ROUNDS = 4;
/** Scratch for the cross-sectional ordering (no state survives a call). */
let _order = new Int32Array(64);

/**
 * Computes one bar's target notionals and shares (see the module documentation for styles,
 * sizing, quantization and missing values). Deterministic: no state, fixed summation order.
 */
export function targetPositions(
  bar: TargetPositionsBar,
  options: TargetPositionsOptions,
): TargetPositions {
  const n = bar.predictions.length;
  const out = options.out ?? { notional: new Float64Array(n), shares: new Float64Array(n) };
  if (out.notional.length < n || out.shares.length < n) {
    throw new UsageError(`targetPositions: 'out' arrays are shorter than the ${n} assets`);
  }
  const weights = out.notional; // weights first, then notionals in place
  _weights(bar, options, weights);
  const base = _sizingBase(bar, options, weights);
  const decimals = options.decimals;
  const scale = decimals === undefined ? 1 : 10 ** Math.abs(decimals);
  const tolerance = options.rebalanceTolerance ?? 1e-9;
  for (let i = 0; i < n; i++) {
    const price = bar.prices[i] as number;
    const held = bar.holdings[i] as number;
    const notional = (weights[i] as number) * base;
    if (notional === 0) {
      out.shares[i] = 0;
      out.notional[i] = 0;
      continue;
    }
    if (!(price > 0) || !Number.isFinite(price)) {
      out.shares[i] = held;
      out.notional[i] = held === 0 ? 0 : NaN;
      continue;
    }
    let shares = notional / price;
    if (decimals !== undefined) {
      shares = decimals >= 0
        ? _roundHalfAway(shares * scale) / scale
        : _roundHalfAway(shares / scale) * scale;
    }
    if (shares === 0) shares = 0; // no −0
    if (Math.abs(shares - held) <= tolerance * Math.max(Math.abs(shares), Math.abs(held))) {
      shares = held;
    }
    out.shares[i] = shares;
    out.notional[i] = shares * price;
  }
  return out;
}

/**
 * The style's weight per asset for one bar: the first step of `targetPositions`, before sizing
 * (reads only `bar.predictions`, `bar.volatilities` and the style options). Sizing the weights
 * later with the `signal` style (weights as predictions) gives exactly the targets
 * `targetPositions` gives for the original style: the sized-at-fill orders of the OMS rely on it.
 */
export function targetWeights(
  bar: TargetPositionsBar,
  options: TargetPositionsOptions,
  out?: Float64Array,
): Float64Array {
  const n = bar.predictions.length;
  const w = out ?? new Float64Array(n);
  if (w.length < n) {
    throw new UsageError(`targetWeights: 'out' is shorter than the ${n} assets`);
  }
  _weights(bar, options, w);
  return w;
}

/** Writes the style's weights into `w` (0 where undefined). */
function _weights(bar: TargetPositionsBar, options: TargetPositionsOptions, w: Float64Array): void {
  const n = bar.predictions.length;
  const p = bar.predictions;
  const vol = bar.volatilities;
  switch (options.style) {
    case "signal":
      for (let i = 0; i < n; i++) {
        const x = p[i] as number;
        w[i] = Number.isFinite(x) ? x : 0;
      }
      return;
    case "longitudinal": {
      const risk = options.riskPerName ?? 0.001;
      const threshold = options.predictionAbsThreshold ?? 0;
      const modulate = options.modulateByMagnitude ?? false;
      for (let i = 0; i < n; i++) {
        const x = p[i] as number;
        const v = vol[i] as number;
        if (!Number.isFinite(x) || Number.isNaN(v) || Math.abs(x) < threshold || x === 0) {
          w[i] = 0;
          continue;
        }
        const magnitude = modulate ? Math.abs(x) : 1;
        w[i] = Math.sign(x) * magnitude * risk / Math.max(v, _LONGITUDINAL_VOL_FLOOR);
      }
      return;
    }
    case "cross_sectional": {
      if (_order.length < n) _order = new Int32Array(Math.max(n, 2 * _order.length));
      const order = _order;
      let m = 0;
      for (let i = 0; i < n; i++) {
        w[i] = 0;
        const x = p[i] as number;
        if (!Number.isFinite(x) || Number.isNaN(vol[i] as number)) continue;
        // Insertion sort by (prediction, index): the cross-sections are small.
        let j = m++;
        while (j > 0 && (p[order[j - 1] as number] as number) > x) {
          order[j] = order[j - 1] as number;
          j--;
        }
        order[j] = i;
      }
      if (m === 0) return;
      let gross = 0;
      for (let start = 0; start < m;) {
        let stop = start + 1;
        const x = p[order[start] as number];
        while (stop < m && p[order[stop] as number] === x) stop++;
        // Average 1-based rank of the tie group: (start + 1 + stop) / 2; sign of r − (m + 1)/2.
        const sign = Math.sign(start + stop - m);
        for (let k = start; k < stop; k++) {
          const i = order[k] as number;
          const v = Math.max(vol[i] as number, _CROSS_SECTIONAL_VOL_FLOOR);
          const y = sign / (v * v);
          w[i] = y;
          gross += Math.abs(y);
        }
        start = stop;
      }
      if (gross > 0) {
        for (let k = 0; k < m; k++) {
          const i = order[k] as number;
          w[i] = (w[i] as number) / gross;
        }
      }
      return;
    }
  }
}

/** The quote amount the weights apply to. */
function _sizingBase(
  bar: TargetPositionsBar,
  options: TargetPositionsOptions,
  w: Float64Array,
): number {
  if (options.sizing === "gmv") {
    const gmv = options.targetGmv;
    if (gmv === undefined || !(gmv > 0) || !Number.isFinite(gmv)) {
      throw new UsageError(
        `targetPositions: gmv sizing needs a positive finite targetGmv (got ${gmv}); set targetGmv`,
      );
    }
    return gmv;
  }
  const wealth = bar.netWealth;
  if (!(wealth > 0) || !Number.isFinite(wealth)) return 0;
  const phi = (options.feeBps ?? 0) / 1e4;
  if (phi === 0) return wealth;
  // base = wealth − φ Σ |w_i·base − h_i·p_i| over the assets that can trade. With the signs
  // s_i of the trades fixed this is linear: base = (wealth + φ Σ s_i·v_i) / (1 + φ Σ s_i·w_i);
  // solve it, and again with the signs at the solution until they agree. Should the signs
  // not settle (a trade at ~0), fall back to the fixed-point iteration (a contraction).
  const n = bar.predictions.length;
  let base = wealth;
  for (let round = 0; round < _MAX_SIGN_ROUNDS; round++) {
    let sw = 0;
    let sv = 0;
    for (let i = 0; i < n; i++) {
      const price = bar.prices[i] as number;
      if (!(price > 0) || !Number.isFinite(price)) continue;
      const weight = w[i] as number;
      const value = (bar.holdings[i] as number) * price;
      const sign = Math.sign(weight * base - value);
      sw += sign * weight;
      sv += sign * value;
    }
    const next = (wealth + phi * sv) / (1 + phi * sw);
    if (next === base) return next;
    base = next;
  }
  for (let iteration = 0; iteration < _MAX_FEE_ITERATIONS; iteration++) {
    let traded = 0;
    for (let i = 0; i < n; i++) {
      const price = bar.prices[i] as number;
      if (!(price > 0) || !Number.isFinite(price)) continue;
      traded += Math.abs((w[i] as number) * base - (bar.holdings[i] as number) * price);
    }
    const next = wealth - phi * traded;
    if (Math.abs(next - base) <= 1e-15 * wealth) return next;
    base = next;
  }
  return base;
}

function _roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}
