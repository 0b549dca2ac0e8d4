/**
 * The DataFlow node library (DESIGN §6): long-format nodes, per-asset ops `.over("asset_id")`,
 * cross-sectional ops `.over("timestamp")`, all causal and start-independent (the output at a
 * bar depends only on that bar and the `lookbackBars() − 1` bars before it, bit for bit).
 */
export type { LookbackNode } from "./lookback_node.ts";
export { ResampleNode, type ResampleNodeConfig } from "./resample_node.ts";
export { ReturnsNode, type ReturnsNodeConfig } from "./returns_node.ts";
export { VolatilityNode, type VolatilityNodeConfig } from "./volatility_node.ts";
export { AdjustedReturnsNode, type AdjustedReturnsNodeConfig } from "./adjusted_returns_node.ts";
export { CompressTailsNode, type CompressTailsNodeConfig } from "./compress_tails_node.ts";
export { LagsNode, type LagsNodeConfig } from "./lags_node.ts";
export { RollingMeanNode, type RollingMeanNodeConfig } from "./rolling_mean_node.ts";
export { ZScoreNode, type ZScoreNodeConfig } from "./z_score_node.ts";
export {
  type CrossSectionalRankMode,
  CrossSectionalRankNode,
  type CrossSectionalRankNodeConfig,
} from "./cross_sectional_rank_node.ts";
export {
  CrossSectionalDemeanNode,
  type CrossSectionalDemeanNodeConfig,
} from "./cross_sectional_demean_node.ts";
export { type RidgeFitState, RidgeNode, type RidgeNodeConfig } from "./ridge_node.ts";
export { WeightedSumNode, type WeightedSumNodeConfig } from "./weighted_sum_node.ts";
export { SmaCrossNode, type SmaCrossNodeConfig } from "./sma_cross_node.ts";
export { PeekingNode, type PeekingNodeConfig } from "./peeking_node.ts";
