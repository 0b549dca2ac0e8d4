/** `ZScoreNode`: per-asset rolling z-score over a window of bars, exactly window-local. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _perAsset } from "./_frame.ts";
import { _layout, _numbers } from "./_columns.ts";
import { _merge, _minPeriods, _name, _positiveInt } from "./_options.ts";

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
 * The mean is the window's valid values summed in time order and the std a second pass of
 * squared deviations from it, per window (O(n·window), robust to large levels such as
 * prices, and start-independent: each value is a fixed expression of its window's values).
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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const x = _numbers(this.id, frame, this.config.in_col, "in_col");
    const { window } = this.config;
    const minPeriods = this.#minPeriods;
    const [z] = _perAsset(x, _layout(this.id, frame), (v, stride) => [
      _zScores(v, window, minPeriods, stride),
    ]);
    return frame.with([[this.config.out_col, f64Column(z)]]);
  }
}

/**
 * The z-scores of `v` (with `stride` s, of each of its s interleaved series: the window of
 * row i is rows i − (window−1)·s .. i, step s, within the series).
 */
function _zScores(v: Float64Array, window: number, minPeriods: number, s: number): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const first = i - Math.min(window - 1, Math.floor(i / s)) * s;
    out[i] = _z(v, first, i, s, minPeriods);
  }
  return out;
}

/**
 * The z-score of `v[last]` in the window `v[first], v[first + step], …, v[last]` (time order):
 * NaN when `v[last]` is NaN, fewer than `minPeriods` values are valid, or the std is 0.
 */
function _z(
  v: Float64Array,
  first: number,
  last: number,
  step: number,
  minPeriods: number,
): number {
  const xt = v[last] as number;
  if (Number.isNaN(xt)) return Number.NaN;
  let sum = 0;
  let n = 0;
  for (let k = first; k <= last; k += step) {
    const u = v[k] as number;
    if (!Number.isNaN(u)) {
      sum += u;
      n++;
    }
  }
  if (n < minPeriods) return Number.NaN;
  const mean = sum / n;
  let ss = 0;
  for (let k = first; k <= last; k += step) {
    const u = v[k] as number;
    if (!Number.isNaN(u)) ss += (u - mean) * (u - mean);
  }
  const std = Math.sqrt(ss / (n - 1));
  return std > 0 ? (xt - mean) / std : Number.NaN;
}
