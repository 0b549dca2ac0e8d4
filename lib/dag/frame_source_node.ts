/**
 * `FrameSourceNode`: the node that feeds market data into a DAG. It has no inputs; its
 * `df_out` is the bars frame the runner gave it (`setData`), restricted to the fit or predict
 * intervals. An interval `[a, b]` selects the bars with `timestamp` (bar END) in `(a, b]`,
 * the bar contract's convention (DESIGN §3), so consecutive intervals never share a bar.
 */
import pl from "nodejs-polars";
import { DagtradeError, DataError, UsageError } from "../errors/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
import { _formatBound, _intervalRows, _sliceInterval, _timestamps } from "./_frame_time.ts";
import type { ColumnFrames, JsonValue, Node, NodeFrames } from "./node.ts";

/** A time interval `[a, b]` in UTC epoch ms selecting bar ends `t` with `a < t <= b`; ±Infinity for unbounded. */
export type TimeInterval = readonly [start: number, end: number];

/** Options of a `FrameSourceNode`. */
export interface FrameSourceNodeOptions {
  /** The initial frame (long format, sorted by `(timestamp, asset_id)`). Default: none; call `setData`. */
  data?: pl.DataFrame;
}

/** A source node serving a frame filtered to fit / predict intervals (default: everything). */
export class FrameSourceNode implements Node {
  /** Unique id within its DAG. */
  readonly id: string;
  /** None: a source. */
  readonly inputNames: readonly string[] = [];
  /** `["df_out"]`. */
  readonly outputNames: readonly string[] = ["df_out"];
  #data: pl.DataFrame | undefined;
  #columns: ColumnFrame | undefined;
  #timestamps: Float64Array | undefined;
  #fitIntervals: TimeInterval[] | null = null;
  #predictIntervals: TimeInterval[] | null = null;

  /** Creates the source node; `options.data` sets its frame at once. */
  constructor(id = "source", options: FrameSourceNodeOptions = {}) {
    this.id = id;
    if (options.data !== undefined) this.setData(options.data);
  }

  /**
   * Sets the frame to serve: long format with a Datetime `timestamp` column, sorted by
   * `(timestamp, asset_id)` (the order is checked when an interval is applied). A
   * `ColumnFrame` (its `timestamp` a time column) is served to `fitColumns`/`predictColumns`
   * without a Polars call.
   */
  setData(df: pl.DataFrame | ColumnFrame): void {
    if (df instanceof ColumnFrame) {
      const kind = df.has("timestamp") ? df.column("timestamp").kind : undefined;
      if (kind !== "time") {
        throw new DataError(
          `Source node '${this.id}' needs a 'timestamp' time column; got ${
            kind === undefined ? `columns ${df.columns.join(", ")}` : `a ${kind} column`
          }`,
        );
      }
      this.#data = undefined;
      this.#columns = df;
      this.#timestamps = undefined;
      return;
    }
    const dtype = df.columns.includes("timestamp") ? df.getColumn("timestamp").dtype : undefined;
    if (dtype === undefined || !dtype.equals(pl.Datetime("ms", "UTC"))) {
      throw new DataError(
        `Source node '${this.id}' needs a 'timestamp' column of type Datetime(ms, UTC); got ${
          dtype === undefined
            ? `columns ${df.columns.join(", ")}`
            : `type ${String(dtype).replace(/^DataType\((.*)\)$/, "$1")}`
        }`,
      );
    }
    this.#data = df;
    this.#columns = undefined;
    this.#timestamps = undefined;
  }

  /** The frame set by `setData` (as Polars); throws when none was. */
  getData(): pl.DataFrame {
    if (this.#data === undefined) {
      if (this.#columns === undefined) {
        throw new DagtradeError(`Source node '${this.id}' has no data: call setData(df) first`);
      }
      this.#data = this.#columns.toPolars();
    }
    return this.#data;
  }

  /** The frame set by `setData` as a `ColumnFrame`; throws when none was. */
  getColumns(): ColumnFrame {
    if (this.#columns === undefined) this.#columns = ColumnFrame.fromPolars(this.getData());
    return this.#columns;
  }

  /** Restricts `fit` to the bars in the union of `intervals` (each `(a, b]`); `null`: every bar. */
  setFitIntervals(intervals: readonly TimeInterval[] | null): void {
    this.#fitIntervals = intervals === null ? null : _normalize(this.id, intervals);
  }

  /** Restricts `predict` to the bars in the union of `intervals` (each `(a, b]`); `null`: every bar. */
  setPredictIntervals(intervals: readonly TimeInterval[] | null): void {
    this.#predictIntervals = intervals === null ? null : _normalize(this.id, intervals);
  }

  /** The data restricted to the fit intervals. */
  fit(_inputs: NodeFrames): NodeFrames {
    return { df_out: this.#select(this.#fitIntervals) };
  }

  /** The data restricted to the predict intervals. */
  predict(_inputs: NodeFrames): NodeFrames {
    return { df_out: this.#select(this.#predictIntervals) };
  }

  /** `fit` on JS column frames. */
  fitColumns(_inputs: ColumnFrames): ColumnFrames {
    return { df_out: this.#selectColumns(this.#fitIntervals) };
  }

  /** `predict` on JS column frames. */
  predictColumns(_inputs: ColumnFrames): ColumnFrames {
    return { df_out: this.#selectColumns(this.#predictIntervals) };
  }

  /** Stateless: `null`. */
  getFitState(): JsonValue {
    return null;
  }

  /** Stateless: accepts only `null`. */
  setFitState(state: JsonValue): void {
    if (state !== null) {
      throw new DagtradeError(`Source node '${this.id}' is stateless and takes no fit state`);
    }
  }

  #select(intervals: readonly TimeInterval[] | null): pl.DataFrame {
    const data = this.getData();
    if (intervals === null) return data;
    const [first] = intervals;
    if (
      intervals.length === 1 && first?.[0] === -Infinity && first[1] === Infinity &&
      (_sortedFrames.has(data) || _sortedByTime(data))
    ) {
      // Every (finite, Datetime) bar end is in (−inf, +inf]: no timestamps needed.
      _sortedFrames.add(data);
      return data.height > 0 ? data.slice(0, data.height) : data.head(0);
    }
    const ts = this.#sortedTimestamps(data);
    const parts = intervals.map(([a, b]) => _sliceInterval(data, ts, a, b)).filter((p) =>
      p.height > 0
    );
    if (parts.length === 0) return data.head(0);
    return parts.length === 1 ? parts[0] as pl.DataFrame : pl.concat(parts);
  }

  #selectColumns(intervals: readonly TimeInterval[] | null): ColumnFrame {
    const data = this.getColumns();
    if (intervals === null) return data;
    const ts = this.#sortedTimestamps(data);
    const parts: ColumnFrame[] = [];
    for (const [a, b] of intervals) {
      const [lo, hi] = _intervalRows(ts, a, b);
      if (hi > lo) parts.push(data.slice(lo, hi - lo));
    }
    if (parts.length === 0) return data.slice(0, 0);
    return ColumnFrame.concat(parts);
  }

  #sortedTimestamps(data: pl.DataFrame | ColumnFrame): Float64Array {
    if (this.#timestamps !== undefined) return this.#timestamps;
    const columnar = data instanceof ColumnFrame;
    const ts = columnar ? data.values("timestamp") : _timestamps(data);
    const checked = !columnar && _sortedFrames.has(data);
    for (let i = checked ? ts.length : 1; i < ts.length; i++) {
      if (!((ts[i] as number) >= (ts[i - 1] as number))) {
        throw new DataError(
          `Source node '${this.id}': data is not sorted by timestamp (row ${i}: ${
            _formatBound(ts[i] as number)
          } after ${_formatBound(ts[i - 1] as number)}); sort by (timestamp, asset_id)`,
        );
      }
    }
    if (!columnar) _sortedFrames.add(data);
    this.#timestamps = ts;
    return ts;
  }
}

/** Frames whose timestamps were checked to be sorted (frames are immutable). */
const _sortedFrames = new WeakSet<pl.DataFrame>();

/**
 * Whether `data`'s timestamps (Datetime(ms, UTC), no nulls, within ±2^53 ms) never decrease,
 * checked by Polars without copying them into JS; false when it cannot tell (other types,
 * nulls) or they do decrease (the caller's JS check then names the row).
 */
function _sortedByTime(data: pl.DataFrame): boolean {
  const s = data.getColumn("timestamp");
  if (!s.dtype.equals(pl.Datetime("ms", "UTC")) || s.nullCount() > 0) return false;
  const n = s.length;
  if (n < 2) return true;
  const t = s.cast(pl.Int64);
  const lo = t.min() as unknown as number;
  const hi = t.max() as unknown as number;
  if (!(Math.abs(lo) < 2 ** 53 && Math.abs(hi) < 2 ** 53)) return false;
  return (t.slice(1, n - 1).gtEq(t.slice(0, n - 1)).all() as unknown) === true;
}

/** Validates intervals, sorts them and merges overlapping ones (so no bar is served twice). */
function _normalize(id: string, intervals: readonly TimeInterval[]): TimeInterval[] {
  for (const [a, b] of intervals) {
    if (Number.isNaN(a) || Number.isNaN(b) || a > b) {
      throw new UsageError(
        `Source node '${id}': bad interval (${_formatBound(a)}, ${
          _formatBound(b)
        }]: the start must not be after the end`,
      );
    }
  }
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}
