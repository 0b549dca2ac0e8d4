/** `RollingMeanNode`: per-asset rolling mean over a window of bars, exactly window-local. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _perAsset } from "./_frame.ts";
import { _layout, _numbers } from "./_columns.ts";
import { _merge, _minPeriods, _name, _positiveInt } from "./_options.ts";
import { _rollingMean } from "./_window_sum.ts";

/** Config of `RollingMeanNode` (the keys of its config template). */
export type RollingMeanNodeConfig = {
  /** Input column. Default `"close"`. */
  in_col: string;
  /** Output column. Default `"rolling_mean"`. */
  out_col: string;
  /** Bars in the window, the current one included. Default `20`. */
  window: number;
  /** Valid values needed in the window for a value (else null); null = `window`. Default `null`. */
  min_periods: number | null;
};

/**
 * The per-asset rolling mean of the valid (non-null, non-NaN) values among the asset's last
 * `window` rows. Computed by the node library's window-sum kernel rather than Polars'
 * `rollingMean`, whose running sum makes the last bits depend on where the frame starts.
 */
export class RollingMeanNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "close", out_col: "rolling_mean", window: 20, min_periods: null}`. */
  static readonly configTemplate: Readonly<RollingMeanNodeConfig> = {
    in_col: "close",
    out_col: "rolling_mean",
    window: 20,
    min_periods: null,
  };
  /** The node's resolved config. */
  readonly config: Readonly<RollingMeanNodeConfig>;
  readonly #minPeriods: number;

  /** Creates the node; `options` override `RollingMeanNode.configTemplate`. */
  constructor(id: string, options: Partial<RollingMeanNodeConfig> = {}) {
    super(id);
    const c = _merge(id, RollingMeanNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _positiveInt(id, "window", c.window);
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
    const minPeriods = this.#minPeriods;
    const [mean] = _perAsset(values, _layout(this.id, frame), (x, stride) => [
      _rollingMean(x, window, minPeriods, stride),
    ]);
    return frame.with([[out_col, f64Column(mean)]]);
  }
}
