/**
 * The node library's extension of `Node`: every library node says how many bars of history
 * its output at a bar needs, so builders can size warm-up windows (tiles, incremental runs).
 */
import type { Node } from "../node.ts";

/**
 * A node that knows its lookback. `lookbackBars()` counts the bars, including the current one,
 * that the node's output at bar `t` depends on (1 = only the current row). Along a chain of
 * nodes the lookback is `1 + Σ (lookbackBars() − 1)`; bars are the node's input bars (a
 * resample node counts source bars, the nodes after it count resampled bars).
 */
export interface LookbackNode extends Node {
  /** Bars of history (including the current bar) that the output at a bar depends on. */
  lookbackBars(): number;
}
