/** `SmaCrossNode`: long/flat signal of a fast over a slow simple moving average. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _perAsset } from "./_frame.ts";
import { _layout, _numbers } from "./_columns.ts";
import { _merge, _name, _positiveInt } from "./_options.ts";
import { _fullWindowMeans } from "./_window_sum.ts";

/** Config of `SmaCrossNode` (the keys of its config template). */
export type SmaCrossNodeConfig = {
  /** Price column. Default `"close"`. */
  in_col: string;
  /** Bars in the fast SMA. Default `10`. */
  fast: number;
  /** Bars in the slow SMA. Default `50`. */
  slow: number;
  /** Output column of the fast SMA (null until `fast` bars exist). Default `"sma_fast"`. */
  fast_col: string;
  /** Output column of the slow SMA (null until `slow` bars exist). Default `"sma_slow"`. */
  slow_col: string;
  /** Output column of the signal. Default `"prediction"`. */
  out_col: string;
};

/**
 * The SMA crossover: per asset, `fast_col` and `slow_col` are plain arithmetic means of the
 * asset's last `fast` / `slow` rows of `in_col` (null until the window is full), and
 * `out_col` = 1 when SMA_fast > SMA_slow at the bar's close, else 0 (flat, also while either
 * SMA is null). The reference cross-check model (`sma_cross`, 10/50 on close).
 */
export class SmaCrossNode extends TransformNode implements LookbackNode {
  /** Default config: 10/50 SMAs of `close` into `sma_fast`, `sma_slow` and `prediction`. */
  static readonly configTemplate: Readonly<SmaCrossNodeConfig> = {
    in_col: "close",
    fast: 10,
    slow: 50,
    fast_col: "sma_fast",
    slow_col: "sma_slow",
    out_col: "prediction",
  };
  /** The node's resolved config. */
  readonly config: Readonly<SmaCrossNodeConfig>;

  /** Creates the node; `options` override `SmaCrossNode.configTemplate`. */
  constructor(id: string, options: Partial<SmaCrossNodeConfig> = {}) {
    super(id);
    const c = _merge(id, SmaCrossNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _positiveInt(id, "fast", c.fast);
    _positiveInt(id, "slow", c.slow);
    _name(id, "fast_col", c.fast_col);
    _name(id, "slow_col", c.slow_col);
    _name(id, "out_col", c.out_col);
    this.config = Object.freeze(c);
  }

  /** `max(fast, slow)`. */
  lookbackBars(): number {
    return Math.max(this.config.fast, this.config.slow);
  }

  /** Adds `fast_col`, `slow_col` and `out_col`. */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, fast, slow, fast_col, slow_col, out_col } = this.config;
    const values = _numbers(this.id, frame, in_col, "in_col");
    const [smaFast, smaSlow] = _perAsset(
      values,
      _layout(this.id, frame),
      (x, stride) => _fullWindowMeans(x, [fast, slow], stride),
    ) as [Float64Array, Float64Array];
    const n = values.length;
    const signal = new Float64Array(n);
    for (let i = 0; i < n; i++) signal[i] = (smaFast[i] as number) > (smaSlow[i] as number) ? 1 : 0;
    return frame.with([
      [fast_col, f64Column(smaFast)],
      [slow_col, f64Column(smaSlow)],
      [out_col, f64Column(signal)],
    ]);
  }
}
