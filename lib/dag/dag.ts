/**
 * The `Dag` (DESIGN §6): nodes joined by edges from a named output to a named input, rejected
 * at `connect` time when they would close a cycle, run up to a node in a deterministic
 * topological order with the outputs of every node kept per method. Optional node IO dumps
 * (one Parquet file per node output) and per-node timings.
 */
import { join } from "node:path";
import type pl from "nodejs-polars";
import { DagtradeError } from "../errors/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
import { atomicWriteSync } from "../fs/mod.ts";
import { compactTime } from "../sim/mod.ts";
import type { ColumnFrames, JsonValue, Node, NodeFrames, NodeMethod } from "./node.ts";

/** An edge end: a node id, or `[nodeId, outputOrInputName]`. */
export type DagEndpoint = string | readonly [string, string];

/** One edge of a `Dag`: `parent.output → child.input`. */
export interface DagEdge {
  /** Id of the node producing the frame. */
  readonly parent: string;
  /** Name of the parent's output. */
  readonly output: string;
  /** Id of the node consuming the frame. */
  readonly child: string;
  /** Name of the child's input. */
  readonly input: string;
}

/** Time spent by one node in one run of `runLeqNode`. */
export interface DagTiming {
  /** Sequence number of the `runLeqNode` call (1, 2, ...). */
  readonly run: number;
  /** The method that ran. */
  readonly method: NodeMethod;
  /** The node that ran. */
  readonly nodeId: string;
  /** The bar the run was for (incremental runs), else `null`. */
  readonly barTimestamp: number | null;
  /** Duration in the timer's unit (ms for `performance.now`). */
  readonly ms: number;
}

/** Options of a `Dag`. */
export interface DagOptions {
  /**
   * Dump every node output of every run as Parquet into this directory, named
   * `<method>.<topoIdx>.<nodeId>.<output>[.<barTs>].parquet` (`barTs` like `20250103T100500Z`,
   * only for runs given a `barTimestamp`). Default: no dumps.
   */
  nodeIoDir?: string;
  /**
   * A monotonic time source in ms (the command layer passes `performance.now`); when given,
   * every node run is timed and listed by `timings()`. Default: no timing.
   */
  timer?: () => number;
}

/** Options of `Dag.runLeqNode`. */
export interface RunLeqNodeOptions {
  /**
   * Frames for node inputs not fed by an edge, by node id then input name (e.g. to feed a DAG
   * that has no source node). Default: none (every input must be connected).
   */
  inputs?: Readonly<Record<string, NodeFrames>>;
  /** The bar this run is for: suffixes node IO dump names and is recorded in timings. Default: none. */
  barTimestamp?: number;
}

/**
 * A node's outputs of one run, kept as the node produced them (Polars frames, or JS column
 * frames for nodes with `fitColumns`/`predictColumns`) and converted on demand (once).
 */
class _Outputs {
  #frames: NodeFrames | undefined;
  #columns: ColumnFrames | undefined;

  constructor(frames: NodeFrames | undefined, columns: ColumnFrames | undefined) {
    this.#frames = frames;
    this.#columns = columns;
  }

  frame(name: string): pl.DataFrame | undefined {
    const have = this.#frames?.[name];
    if (have !== undefined) return have;
    const c = this.#columns?.[name];
    if (c === undefined) return undefined;
    const df = c.toPolars();
    (this.#frames ??= {})[name] = df;
    return df;
  }

  columns(name: string): ColumnFrame | undefined {
    const have = this.#columns?.[name];
    if (have !== undefined) return have;
    const df = this.#frames?.[name];
    if (df === undefined) return undefined;
    const c = ColumnFrame.fromPolars(df);
    (this.#columns ??= {})[name] = c;
    return c;
  }

  names(): string[] {
    return Object.keys(this.#columns ?? this.#frames ?? {});
  }
}

interface _Step {
  readonly node: Node;
  readonly topoIdx: number;
  /** `[inputName, parentId, outputName]`, or `[inputName, null, null]` for an external input. */
  readonly inputs: readonly (readonly [string, string | null, string | null])[];
}

/** A directed acyclic graph of `Node`s. */
export class Dag {
  /** A name for messages (the builder's name). */
  readonly name: string;
  readonly #nodes = new Map<string, Node>();
  readonly #inEdges = new Map<string, Map<string, DagEdge>>();
  readonly #outEdges = new Map<string, DagEdge[]>();
  readonly #outputs = new Map<NodeMethod, Map<string, _Outputs>>();
  readonly #timings: DagTiming[] = [];
  readonly #nodeIoDir: string | undefined;
  readonly #timer: (() => number) | undefined;
  #order: string[] | undefined;
  readonly #plans = new Map<string, _Step[]>();
  #runs = 0;

  /** Creates an empty DAG; `name` is used in messages. */
  constructor(name = "dag", options: DagOptions = {}) {
    this.name = name;
    this.#nodeIoDir = options.nodeIoDir;
    this.#timer = options.timer;
  }

  /** Adds a node. A node id already in the DAG throws. */
  addNode(node: Node): void {
    if (this.#nodes.has(node.id)) {
      throw new DagtradeError(
        `Cannot add node '${node.id}' to DAG '${this.name}': a node with this id already exists`,
      );
    }
    this.#nodes.set(node.id, node);
    this.#inEdges.set(node.id, new Map());
    this.#outEdges.set(node.id, []);
    this.#invalidate();
  }

  /**
   * Connects `parent`'s output to `child`'s input. An endpoint is a node id (output `df_out`,
   * input `df_in`) or `[nodeId, name]`. Throws on an unknown node or name, an input already
   * fed, or an edge that would close a cycle (the message names the cycle).
   */
  connect(parent: DagEndpoint, child: DagEndpoint): void {
    const [parentId, output] = typeof parent === "string" ? [parent, "df_out"] : parent;
    const [childId, input] = typeof child === "string" ? [child, "df_in"] : child;
    const parentNode = this.#node(parentId, "connect");
    const childNode = this.#node(childId, "connect");
    if (!parentNode.outputNames.includes(output)) {
      throw new DagtradeError(
        `Cannot connect ${parentId}.${output} → ${childId}.${input} in DAG '${this.name}': ` +
          `node '${parentId}' has no output '${output}' (outputs: ${
            _list(parentNode.outputNames)
          })`,
      );
    }
    if (!childNode.inputNames.includes(input)) {
      throw new DagtradeError(
        `Cannot connect ${parentId}.${output} → ${childId}.${input} in DAG '${this.name}': ` +
          `node '${childId}' has no input '${input}' (inputs: ${_list(childNode.inputNames)})`,
      );
    }
    const existing = this.#inEdges.get(childId)?.get(input);
    if (existing !== undefined) {
      throw new DagtradeError(
        `Cannot connect ${parentId}.${output} → ${childId}.${input} in DAG '${this.name}': ` +
          `input '${input}' of '${childId}' is already fed by ${existing.parent}.${existing.output}`,
      );
    }
    const path = this.#path(childId, parentId);
    if (path !== undefined) {
      throw new DagtradeError(
        `Connecting ${parentId} → ${childId} would create the cycle ${
          [parentId, ...path].join(" → ")
        } (DAG '${this.name}')`,
      );
    }
    const edge: DagEdge = { parent: parentId, output, child: childId, input };
    this.#inEdges.get(childId)?.set(input, edge);
    this.#outEdges.get(parentId)?.push(edge);
    this.#invalidate();
  }

  /** Whether the DAG has a node with this id. */
  hasNode(nodeId: string): boolean {
    return this.#nodes.has(nodeId);
  }

  /** The node with this id; an unknown id throws, listing the known ones. */
  getNode(nodeId: string): Node {
    return this.#node(nodeId, "get node");
  }

  /** Node ids in insertion order. */
  nodeIds(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Every edge, grouped by parent in insertion order. */
  edges(): DagEdge[] {
    return [...this.#outEdges.values()].flat();
  }

  /** Ids of the nodes without incoming edges, in insertion order. */
  sources(): string[] {
    return this.nodeIds().filter((id) => (this.#inEdges.get(id)?.size ?? 0) === 0);
  }

  /** Ids of the nodes without outgoing edges, in insertion order. */
  sinks(): string[] {
    return this.nodeIds().filter((id) => (this.#outEdges.get(id)?.length ?? 0) === 0);
  }

  /** All node ids in topological order; among nodes ready together, the first added comes first. */
  topologicalOrder(): string[] {
    if (this.#order === undefined) this.#order = this.#topologicalOrder();
    return [...this.#order];
  }

  /** Ids of `nodeId` and every node it depends on, in topological order. */
  ancestors(nodeId: string): string[] {
    return this.#plan(nodeId).map((step) => step.node.id);
  }

  /**
   * Runs `method` on `nodeId` and its ancestors in topological order, keeping every node's
   * outputs (see `getOutput`), and returns the outputs of `nodeId`. A node failure is rethrown
   * naming the node (dagtrade errors pass through unchanged). Nodes with `fitColumns` /
   * `predictColumns` run on JS column frames, converted to Polars only when asked for.
   */
  runLeqNode(nodeId: string, method: NodeMethod, options: RunLeqNodeOptions = {}): NodeFrames {
    const last = this.#run(nodeId, method, options);
    const result: NodeFrames = {};
    for (const name of last.names()) result[name] = last.frame(name) as pl.DataFrame;
    return result;
  }

  /** `runLeqNode` returning the outputs of `nodeId` as JS column frames (no Polars call when every node has `predictColumns`). */
  runLeqNodeColumns(
    nodeId: string,
    method: NodeMethod,
    options: RunLeqNodeOptions = {},
  ): ColumnFrames {
    const last = this.#run(nodeId, method, options);
    const result: ColumnFrames = {};
    for (const name of last.names()) result[name] = last.columns(name) as ColumnFrame;
    return result;
  }

  #run(nodeId: string, method: NodeMethod, options: RunLeqNodeOptions): _Outputs {
    const plan = this.#plan(nodeId);
    this.#runs += 1;
    let store = this.#outputs.get(method);
    if (store === undefined) {
      store = new Map();
      this.#outputs.set(method, store);
    }
    const external = options.inputs ?? {};
    const barTimestamp = options.barTimestamp ?? null;
    let result = new _Outputs({}, undefined);
    for (const step of plan) {
      const node = step.node;
      const columnar = method === "fit"
        ? node.fitColumns !== undefined
        : node.predictColumns !== undefined;
      const frames: NodeFrames = {};
      const columns: ColumnFrames = {};
      for (const [input, parent, output] of step.inputs) {
        let frame: pl.DataFrame | ColumnFrame | undefined;
        if (parent === null) {
          const ext = external[node.id]?.[input];
          frame = ext === undefined ? undefined : columnar ? ColumnFrame.fromPolars(ext) : ext;
        } else {
          const out = store.get(parent);
          frame = columnar ? out?.columns(output as string) : out?.frame(output as string);
        }
        if (frame === undefined) {
          throw new DagtradeError(
            parent === null
              ? `Cannot run ${method} of node '${node.id}' in DAG '${this.name}': input '${input}' ` +
                `is not connected; connect it or pass it in options.inputs['${node.id}']`
              : `Cannot run ${method} of node '${node.id}' in DAG '${this.name}': ` +
                `${parent} produced no output '${output}'`,
          );
        }
        if (frame instanceof ColumnFrame) columns[input] = frame;
        else frames[input] = frame;
      }
      const start = this.#timer?.();
      let produced: NodeFrames | ColumnFrames;
      try {
        if (columnar) {
          produced = method === "fit"
            ? (node.fitColumns as (i: ColumnFrames) => ColumnFrames).call(node, columns)
            : (node.predictColumns as (i: ColumnFrames) => ColumnFrames).call(node, columns);
        } else {
          produced = method === "fit" ? node.fit(frames) : node.predict(frames);
        }
      } catch (error) {
        if (error instanceof DagtradeError) throw error;
        throw new DagtradeError(
          `Node '${node.id}' of DAG '${this.name}' failed in ${method}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
      if (start !== undefined && this.#timer !== undefined) {
        this.#timings.push({
          run: this.#runs,
          method,
          nodeId: node.id,
          barTimestamp,
          ms: this.#timer() - start,
        });
      }
      for (const name of node.outputNames) {
        if (produced[name] === undefined) {
          throw new DagtradeError(
            `Node '${node.id}' of DAG '${this.name}' returned no output '${name}' from ${method} ` +
              `(it returned: ${_list(Object.keys(produced))})`,
          );
        }
      }
      const outputs = columnar
        ? new _Outputs(undefined, produced as ColumnFrames)
        : new _Outputs(produced as NodeFrames, undefined);
      store.set(node.id, outputs);
      if (this.#nodeIoDir !== undefined) {
        this.#dump(this.#nodeIoDir, method, step.topoIdx, node, outputs, barTimestamp);
      }
      result = outputs;
    }
    return result;
  }

  /** The frame `outputName` of `nodeId` from the last run of `method`; throws if there is none. */
  getOutput(nodeId: string, method: NodeMethod, outputName = "df_out"): pl.DataFrame {
    this.#node(nodeId, "get output of");
    const frame = this.#outputs.get(method)?.get(nodeId)?.frame(outputName);
    if (frame === undefined) {
      throw new DagtradeError(
        `DAG '${this.name}' has no ${method} output '${outputName}' of node '${nodeId}': ` +
          `run runLeqNode('${nodeId}', '${method}') (or a descendant) first`,
      );
    }
    return frame;
  }

  /** Drops every kept output (all methods). */
  clearOutputs(): void {
    this.#outputs.clear();
  }

  /** Timings of every node run since the last `clearTimings()` (empty without `timer`). */
  timings(): DagTiming[] {
    return [...this.#timings];
  }

  /** Forgets the recorded timings. */
  clearTimings(): void {
    this.#timings.length = 0;
  }

  /** The fit state of every node by node id (`null` for stateless nodes), in insertion order. */
  getFitStates(): Record<string, JsonValue> {
    const states: Record<string, JsonValue> = {};
    for (const [id, node] of this.#nodes) states[id] = node.getFitState();
    return states;
  }

  /**
   * Restores fit states returned by `getFitStates()`. Nodes absent from `states` keep theirs;
   * an id that is not a node of this DAG throws before any state is set.
   */
  setFitStates(states: Readonly<Record<string, JsonValue>>): void {
    const unknown = Object.keys(states).filter((id) => !this.#nodes.has(id));
    if (unknown.length > 0) {
      throw new DagtradeError(
        `Cannot set fit states of DAG '${this.name}': no node ${_list(unknown)}; its nodes are ${
          _list(this.nodeIds())
        }`,
      );
    }
    for (const [id, state] of Object.entries(states)) {
      const node = this.#nodes.get(id) as Node;
      try {
        node.setFitState(state);
      } catch (error) {
        if (error instanceof DagtradeError) throw error;
        throw new DagtradeError(
          `Cannot set the fit state of node '${id}' of DAG '${this.name}': ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
    }
  }

  /** One line per node in topological order: `id <- parent.output (input), ...`. */
  toString(): string {
    const lines = [`DAG ${this.name}:`];
    for (const id of this.topologicalOrder()) {
      const feeds = [...(this.#inEdges.get(id)?.values() ?? [])]
        .map((e) =>
          e.input === "df_in" && e.output === "df_out"
            ? e.parent
            : `${e.parent}.${e.output} → ${e.input}`
        );
      lines.push(feeds.length === 0 ? `  ${id}` : `  ${id} <- ${feeds.join(", ")}`);
    }
    return lines.join("\n");
  }

  #node(nodeId: string, what: string): Node {
    const node = this.#nodes.get(nodeId);
    if (node === undefined) {
      throw new DagtradeError(
        `Cannot ${what} '${nodeId}' in DAG '${this.name}': no such node; nodes: ${
          _list(this.nodeIds())
        }`,
      );
    }
    return node;
  }

  #invalidate(): void {
    this.#order = undefined;
    this.#plans.clear();
  }

  /** A path `from → ... → to` along edges (node ids, both ends included), or undefined. */
  #path(from: string, to: string): string[] | undefined {
    const seen = new Set<string>();
    const visit = (id: string): string[] | undefined => {
      if (id === to) return [id];
      if (seen.has(id)) return undefined;
      seen.add(id);
      for (const edge of this.#outEdges.get(id) ?? []) {
        const rest = visit(edge.child);
        if (rest !== undefined) return [id, ...rest];
      }
      return undefined;
    };
    return visit(from);
  }

  #topologicalOrder(): string[] {
    const ids = this.nodeIds();
    const indegree = new Map<string, number>();
    for (const id of ids) {
      const parents = new Set([...(this.#inEdges.get(id)?.values() ?? [])].map((e) => e.parent));
      indegree.set(id, parents.size);
    }
    const order: string[] = [];
    const done = new Set<string>();
    while (order.length < ids.length) {
      // The first node in insertion order that is ready (DAGs are small: O(n²) is fine).
      const next = ids.find((id) => !done.has(id) && indegree.get(id) === 0);
      if (next === undefined) {
        throw new DagtradeError(`DAG '${this.name}' has a cycle`); // prevented by connect()
      }
      order.push(next);
      done.add(next);
      const children = new Set((this.#outEdges.get(next) ?? []).map((e) => e.child));
      for (const child of children) indegree.set(child, (indegree.get(child) ?? 0) - 1);
    }
    return order;
  }

  #plan(nodeId: string): _Step[] {
    const cached = this.#plans.get(nodeId);
    if (cached !== undefined) return cached;
    this.#node(nodeId, "run");
    const needed = new Set<string>();
    const stack = [nodeId];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (needed.has(id)) continue;
      needed.add(id);
      for (const edge of this.#inEdges.get(id)?.values() ?? []) stack.push(edge.parent);
    }
    const plan: _Step[] = [];
    this.topologicalOrder().forEach((id, topoIdx) => {
      if (!needed.has(id)) return;
      const node = this.#nodes.get(id) as Node;
      const edges = this.#inEdges.get(id);
      const inputs = node.inputNames.map((input) => {
        const edge = edges?.get(input);
        return [input, edge?.parent ?? null, edge?.output ?? null] as const;
      });
      plan.push({ node, topoIdx, inputs });
    });
    this.#plans.set(nodeId, plan);
    return plan;
  }

  #dump(
    dir: string,
    method: NodeMethod,
    topoIdx: number,
    node: Node,
    outputs: _Outputs,
    barTimestamp: number | null,
  ): void {
    const suffix = barTimestamp === null ? "" : `.${fileTimestamp(barTimestamp)}`;
    for (const name of node.outputNames) {
      const frame = outputs.frame(name) as pl.DataFrame;
      const path = join(dir, `${method}.${topoIdx}.${node.id}.${name}${suffix}.parquet`);
      try {
        atomicWriteSync(path, frame.writeParquet());
      } catch (error) {
        throw new DagtradeError(
          `Cannot write node IO dump ${path}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
    }
  }
}

/**
 * Formats epoch ms as a file-name-safe UTC stamp, ISO 8601 basic format: `20250103T100500Z`
 * (milliseconds appended as `,123` only when non-zero). Used in node IO dump and fit-state names.
 */
export function fileTimestamp(ms: number): string {
  return compactTime(ms, { msSeparator: "," });
}

function _list(items: readonly string[]): string {
  return items.length === 0 ? "(none)" : items.join(", ");
}
