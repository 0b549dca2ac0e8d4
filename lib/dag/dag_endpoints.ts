/**
 * `dagEndpoints`: finds the node a runner feeds (the DAG's `FrameSourceNode`) and the node whose
 * output is the result (the DAG's sink), so runners and checks work on any built DAG.
 */
import { DagtradeError } from "../errors/mod.ts";
import type { Dag } from "./dag.ts";
import { FrameSourceNode } from "./frame_source_node.ts";

/** Options of `dagEndpoints`. */
export interface DagEndpointsOptions {
  /** Id of the source node to feed. Default: the only `FrameSourceNode` among the DAG's sources. */
  sourceNodeId?: string;
  /** Id of the node whose `df_out` is the result. Default: the DAG's only sink. */
  sinkNodeId?: string;
}

/** The source node and sink id of a DAG. */
export interface DagEndpointsResult {
  /** The node the runner gives bars to. */
  readonly source: FrameSourceNode;
  /** The node whose `df_out` is the result frame. */
  readonly sinkNodeId: string;
}

/** Resolves the source and sink of `dag`; throws naming the candidates when ambiguous or absent. */
export function dagEndpoints(dag: Dag, options: DagEndpointsOptions = {}): DagEndpointsResult {
  let source;
  if (options.sourceNodeId !== undefined) {
    source = dag.getNode(options.sourceNodeId);
    if (!(source instanceof FrameSourceNode)) {
      throw new DagtradeError(
        `Node '${options.sourceNodeId}' of DAG '${dag.name}' is not a FrameSourceNode`,
      );
    }
  } else {
    const candidates = dag.sources().map((id) => dag.getNode(id)).filter((n) =>
      n instanceof FrameSourceNode
    );
    if (candidates.length !== 1) {
      throw new DagtradeError(
        `DAG '${dag.name}' needs exactly one FrameSourceNode source to feed; found ${
          candidates.length === 0 ? "none" : candidates.map((n) => n.id).join(", ")
        } (pass sourceNodeId to choose)`,
      );
    }
    source = candidates[0] as FrameSourceNode;
  }
  let sinkNodeId = options.sinkNodeId;
  if (sinkNodeId === undefined) {
    const sinks = dag.sinks();
    if (sinks.length !== 1) {
      throw new DagtradeError(
        `DAG '${dag.name}' needs exactly one sink; found ${
          sinks.length === 0 ? "none" : sinks.join(", ")
        } (pass sinkNodeId to choose)`,
      );
    }
    sinkNodeId = sinks[0] as string;
  } else {
    dag.getNode(sinkNodeId);
  }
  return { source, sinkNodeId };
}
