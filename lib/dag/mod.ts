/**
 * DataFlow (DESIGN §6): nodes, the `Dag`, the source node that feeds it bars, builders and
 * their registry, and the runners (fit/predict over intervals, rolling, incremental).
 */
export type { JsonValue, Node, NodeFrames, NodeMethod } from "./node.ts";
export { TransformNode } from "./node.ts";
export {
  Dag,
  type DagEdge,
  type DagEndpoint,
  type DagOptions,
  type DagTiming,
  fileTimestamp,
  type RunLeqNodeOptions,
} from "./dag.ts";
export {
  FrameSourceNode,
  type FrameSourceNodeOptions,
  type TimeInterval,
} from "./frame_source_node.ts";
export {
  dagEndpoints,
  type DagEndpointsOptions,
  type DagEndpointsResult,
} from "./dag_endpoints.ts";
export { type DagBuilder, DagBuilderBase, type DagColumnNames } from "./dag_builder.ts";
export {
  DagBuilderRegistry,
  defaultRegistry,
  getBuilder,
  listBuilders,
  registerBuilder,
} from "./registry.ts";
export { FitPredictRunner, type FitPredictRunnerOptions } from "./fit_predict_runner.ts";
export {
  type RollingFitPredictResult,
  RollingFitPredictRunner,
  type RollingFitPredictRunnerOptions,
  type RollingFitState,
} from "./rolling_fit_predict_runner.ts";
export {
  IncrementalRunner,
  type IncrementalRunnerOptions,
  type RunBarsOptions,
} from "./incremental_runner.ts";
export * from "./nodes/mod.ts";
export { buildFittedDag, type BuildFittedDagOptions } from "./build_fitted_dag.ts";
export {
  type CausalityCheckOptions,
  type CausalityDifference,
  type CausalityReport,
  checkCausality,
  formatCausalityReport,
} from "./causality_check.ts";
export * from "./builders/mod.ts";
