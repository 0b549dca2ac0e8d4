/**
 * `PeekingNode`: a DELIBERATELY non-causal node, for tests of the causality checks only.
 * Never use it in a model.
 */
import type { ColumnFrame } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _lagged, _layout, _requireCols } from "./_columns.ts";
import { _merge, _name } from "./_options.ts";

/** Config of `PeekingNode` (the keys of its config template). */
export type PeekingNodeConfig = {
  /** Input column. Default `"close"`. */
  in_col: string;
  /** Output column. Default `"peek"`. */
  out_col: string;
};

/**
 * TEST ONLY: outputs the asset's NEXT row of `in_col` (`shift(−1)` per asset), i.e. future
 * data, so that tests can check that `--check-causality` and the runners' comparisons catch
 * a peeking node. Its `lookbackBars()` is 1, as a careless node would claim.
 */
export class PeekingNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "close", out_col: "peek"}`. */
  static readonly configTemplate: Readonly<PeekingNodeConfig> = {
    in_col: "close",
    out_col: "peek",
  };
  /** The node's resolved config. */
  readonly config: Readonly<PeekingNodeConfig>;

  /** Creates the node; `options` override `PeekingNode.configTemplate`. */
  constructor(id: string, options: Partial<PeekingNodeConfig> = {}) {
    super(id);
    const c = _merge(id, PeekingNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    this.config = Object.freeze(c);
  }

  /** 1 (a lie: the output needs the next bar). */
  lookbackBars(): number {
    return 1;
  }

  /** Adds `out_col` = the next row's `in_col` of the same asset (future data). */
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, out_col } = this.config;
    _requireCols(this.id, frame, [in_col], "in_col");
    const layout = _layout(this.id, frame);
    return frame.with([[out_col, _lagged(frame.column(in_col), layout, -1)]]);
  }
}
