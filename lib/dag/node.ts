/**
 * The DataFlow `Node` (DESIGN §6): named inputs and outputs, `fit` and `predict` returning
 * frames, and a JSON fit state. Frames are long format: keys `(timestamp, asset_id)` plus
 * feature columns, sorted by `(timestamp, asset_id)`.
 */
import type pl from "nodejs-polars";
import { ColumnFrame } from "../frame/mod.ts";

/** A JSON value (fit states, configs). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Frames by input or output name (`df_in`, `df_out`, ...). */
export type NodeFrames = Record<string, pl.DataFrame>;

/** JS column frames by input or output name (`df_in`, `df_out`, ...). */
export type ColumnFrames = Record<string, ColumnFrame>;

/** The DAG method a node runs. */
export type NodeMethod = "fit" | "predict";

/** A DAG node. `fit` learns state (if any) and returns outputs; `predict` only applies it. */
export interface Node {
  /** Unique id within its DAG. */
  readonly id: string;
  /** Names of the node's inputs (a source node has none). */
  readonly inputNames: readonly string[];
  /** Names of the node's outputs. */
  readonly outputNames: readonly string[];
  /** Learns the node's state from `inputs` and returns its outputs on them. */
  fit(inputs: NodeFrames): NodeFrames;
  /** Returns the node's outputs on `inputs` using the learned state. */
  predict(inputs: NodeFrames): NodeFrames;
  /** The learned state as JSON, or `null` for a stateless node. */
  getFitState(): JsonValue;
  /** Restores a state returned by `getFitState()`. */
  setFitState(state: JsonValue): void;
  /**
   * `fit` on JS column frames (same outputs, as `ColumnFrame`s). Optional: the DAG runs a node
   * that has it without converting frames to Polars and back.
   */
  fitColumns?(inputs: ColumnFrames): ColumnFrames;
  /** `predict` on JS column frames. Optional, like `fitColumns`. */
  predictColumns?(inputs: ColumnFrames): ColumnFrames;
}

/**
 * Base class of stateless one-in one-out nodes (`df_in` → `df_out`): `fit` and `predict`
 * both apply the node's computation. A subclass overrides `transformColumns` (computing on JS
 * arrays: the node library's nodes) or `transform` (on Polars frames); the other one converts.
 */
export abstract class TransformNode implements Node {
  /** Unique id within its DAG. */
  readonly id: string;
  /** `["df_in"]`. */
  readonly inputNames: readonly string[] = ["df_in"];
  /** `["df_out"]`. */
  readonly outputNames: readonly string[] = ["df_out"];

  /** Creates the node with its id. */
  constructor(id: string) {
    this.id = id;
  }

  /** The node's computation on a long-format Polars frame (default: `transformColumns`, converted). */
  transform(df: pl.DataFrame): pl.DataFrame {
    return this.transformColumns(ColumnFrame.fromPolars(df)).toPolars();
  }

  /** The node's computation on a JS column frame (default: `transform`, converted). */
  transformColumns(frame: ColumnFrame): ColumnFrame {
    return ColumnFrame.fromPolars(this.transform(frame.toPolars()));
  }

  /** Applies `transform` (stateless nodes learn nothing). */
  fit(inputs: NodeFrames): NodeFrames {
    return { df_out: this.transform(_input(this.id, inputs)) };
  }

  /** Applies `transform`. */
  predict(inputs: NodeFrames): NodeFrames {
    return { df_out: this.transform(_input(this.id, inputs)) };
  }

  /** Applies `transformColumns` (or a subclass's own `fit`, converted). */
  fitColumns(inputs: ColumnFrames): ColumnFrames {
    if (this.fit !== TransformNode.prototype.fit) return _viaPolars(inputs, (f) => this.fit(f));
    return { df_out: this.transformColumns(_input(this.id, inputs)) };
  }

  /** Applies `transformColumns` (or a subclass's own `predict`, converted). */
  predictColumns(inputs: ColumnFrames): ColumnFrames {
    if (this.predict !== TransformNode.prototype.predict) {
      return _viaPolars(inputs, (f) => this.predict(f));
    }
    return { df_out: this.transformColumns(_input(this.id, inputs)) };
  }

  /** Stateless: `null`. */
  getFitState(): JsonValue {
    return null;
  }

  /** Stateless: accepts only `null`. */
  setFitState(state: JsonValue): void {
    if (state !== null) throw new Error(`Node ${this.id} is stateless and takes no fit state`);
  }
}

/** Runs a Polars-frame method on column frames. */
function _viaPolars(inputs: ColumnFrames, run: (f: NodeFrames) => NodeFrames): ColumnFrames {
  const frames: NodeFrames = {};
  for (const [name, c] of Object.entries(inputs)) frames[name] = c.toPolars();
  const out: ColumnFrames = {};
  for (const [name, df] of Object.entries(run(frames))) out[name] = ColumnFrame.fromPolars(df);
  return out;
}

function _input<T>(id: string, inputs: Record<string, T>): T {
  const df = inputs["df_in"];
  if (df === undefined) throw new Error(`Node ${id}: missing input 'df_in'`);
  return df;
}
