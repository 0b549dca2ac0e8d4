/** Helpers shared by the built-in builders: node options from config, chained lookbacks. */
import type { Config } from "../../config/mod.ts";
import { ConfigError } from "../../errors/mod.ts";
import type { Dag } from "../dag.ts";
import { FrameSourceNode } from "../frame_source_node.ts";
import type { LookbackNode } from "../nodes/mod.ts";

/** The options of node `id` read (and marked as used) from the subconfig `id` of `config`. */
export function _nodeOptions<T>(config: Config, id: string): Partial<T> {
  if (!config.has(id)) {
    throw new ConfigError(`Config has no section '${id}' for the node of that name`);
  }
  return config.getConfig(id, { markAsUsed: true }).toObject() as Partial<T>;
}

/**
 * Adds a source node and `nodes` to `dag` as one chain (source → n1 → n2 → …), and returns
 * the chain's lookback in source bars: each node needs `lookbackBars() − 1` bars before the
 * current one, counted in the bars it receives (`scale` source bars each after a resample).
 */
export function _addChain(
  dag: Dag,
  nodes: readonly (LookbackNode & { periodMs?: number; sourcePeriodMs?: number })[],
): number {
  const source = new FrameSourceNode("source");
  dag.addNode(source);
  let parent = source.id;
  let lookback = 1;
  let scale = 1;
  for (const node of nodes) {
    dag.addNode(node);
    dag.connect(parent, node.id);
    parent = node.id;
    lookback += (node.lookbackBars() - 1) * scale;
    if (node.periodMs !== undefined && node.sourcePeriodMs !== undefined) {
      scale *= node.periodMs / node.sourcePeriodMs;
      // The first resampled bar needs a whole period of source bars.
      lookback += scale - 1;
    }
  }
  return lookback;
}
