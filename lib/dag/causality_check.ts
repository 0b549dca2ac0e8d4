/**
 * The causality check (DESIGN §6): a builder's output at bar `t` computed from the data up to
 * `t` (its lookback window, exactly what an incremental run feeds) must equal the output at `t`
 * computed on the whole history. For each checked bar, every node's rows at `t` are compared in
 * topological order, so the first node whose output differs is named — the one that peeks at
 * the future, or whose declared lookback is too short.
 */
import pl from "nodejs-polars";
import type { Config } from "../config/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { formatTime } from "../sim/mod.ts";
import { _inferBarMs } from "./_result_frame.ts";
import { upperBound } from "../frame/mod.ts";
import { _sliceInterval, _timestamps } from "./_frame_time.ts";
import { buildFittedDag } from "./build_fitted_dag.ts";
import type { DagBuilder } from "./dag_builder.ts";
import { dagEndpoints } from "./dag_endpoints.ts";

/** Options of `checkCausality`. */
export interface CausalityCheckOptions {
  /** Check bars ending after this time (epoch ms). Default: the first bar. */
  start?: number;
  /** Check bars ending at or before this time. Default: the last bar. */
  end?: number;
  /** Check every `stride`-th bar of the range (the last one always). Default: 1 (every bar). */
  stride?: number;
  /** The bar period, ms. Default: inferred from the bars. */
  barMs?: number;
  /** Called after each checked bar with (checked so far, total to check). Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** Where the first difference was found. */
export interface CausalityDifference {
  /** The node whose output differs first (in topological order). */
  nodeId: string;
  /** The bar end at which it differs. */
  barEnd: number;
  /** The first differing column, when the frames' columns match. */
  column: string | undefined;
  /** The asset of the first differing row, when known. */
  assetId: number | undefined;
  /** The value computed on the whole history. */
  wholeHistory: unknown;
  /** The value computed from the data up to the bar. */
  upToBar: unknown;
}

/** What `checkCausality` found. */
export interface CausalityReport {
  /** The builder checked. */
  dag: string;
  /** True when no checked bar differed. */
  ok: boolean;
  /** Bars compared. */
  barsChecked: number;
  /** Lookback window fed at each bar, in bars. */
  lookbackBars: number;
  /** The first difference, when one was found. */
  firstDifference: CausalityDifference | undefined;
}

/**
 * Runs the causality check of `builder` (configured by `config`) on `bars` (bar contract,
 * sorted). Stateful models are fitted once on their fit window first, as in every mode.
 * Stops at the first difference.
 */
export function checkCausality(
  builder: DagBuilder,
  config: Config,
  bars: pl.DataFrame,
  options: CausalityCheckOptions = {},
): CausalityReport {
  const dag = buildFittedDag(
    builder,
    config,
    options.barMs === undefined ? { bars } : { bars, barMs: options.barMs },
  );
  const lookback = builder.lookbackBars(config);
  const { source, sinkNodeId } = dagEndpoints(dag);
  const order = dag.ancestors(sinkNodeId).concat(sinkNodeId).filter((id) => id !== source.id);
  const barTs = _timestamps(bars);
  const barMs = options.barMs ?? _inferBarMs(barTs, `causality check of '${builder.name}'`);
  const stride = options.stride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new UsageError(`Causality check: stride must be a positive integer, got ${stride}`);
  }

  // The whole history, once: every node's output, with its timestamps.
  source.setData(bars);
  source.setPredictIntervals(null);
  dag.runLeqNode(sinkNodeId, "predict");
  const whole = new Map(order.map((id) => {
    const df = dag.getOutput(id, "predict");
    return [id, { df, ts: _timestamps(df) }] as const;
  }));

  const uniqueTs = _uniqueSorted(barTs);
  const lo = options.start ?? -Infinity;
  const hi = options.end ?? Infinity;
  const candidates = uniqueTs.filter((t) => t > lo && t <= hi);
  const checked = candidates.filter((_, i) => i % stride === 0 || i === candidates.length - 1);
  let n = 0;
  for (const t of checked) {
    source.setData(_sliceInterval(bars, barTs, t - lookback * barMs, t));
    dag.runLeqNode(sinkNodeId, "predict", { barTimestamp: t });
    for (const id of order) {
      const part = dag.getOutput(id, "predict");
      const full = whole.get(id) as { df: pl.DataFrame; ts: Float64Array };
      const a = _rowsAt(full.df, full.ts, t);
      const b = _rowsAt(part, _timestamps(part), t);
      if (!a.frameEqual(b, true)) {
        return {
          dag: builder.name,
          ok: false,
          barsChecked: n + 1,
          lookbackBars: lookback,
          firstDifference: { nodeId: id, barEnd: t, ..._firstDiff(a, b) },
        };
      }
    }
    n += 1;
    options.onProgress?.(n, checked.length);
  }
  return {
    dag: builder.name,
    ok: true,
    barsChecked: n,
    lookbackBars: lookback,
    firstDifference: undefined,
  };
}

/** A one-line description of a report (`causality check of 'x' passed on N bars`). */
export function formatCausalityReport(report: CausalityReport): string {
  const d = report.firstDifference;
  if (report.ok || d === undefined) {
    return `causality check of '${report.dag}' passed on ${report.barsChecked} bars (lookback ${report.lookbackBars} bars)`;
  }
  const where = [
    d.column === undefined ? "" : `column ${d.column}`,
    d.assetId === undefined ? "" : `asset ${d.assetId}`,
  ]
    .filter((s) => s !== "").join(", ");
  return `causality check of '${report.dag}' FAILED: node '${d.nodeId}' differs at bar ${
    formatTime(d.barEnd)
  }` +
    `${where ? ` (${where})` : ""}: whole history ${String(d.wholeHistory)}, data up to the bar ${
      String(d.upToBar)
    }`;
}

function _uniqueSorted(ts: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < ts.length; i++) if (i === 0 || ts[i] !== ts[i - 1]) out.push(ts[i] as number);
  return out;
}

function _rowsAt(df: pl.DataFrame, ts: Float64Array, t: number): pl.DataFrame {
  const end = upperBound(ts, t);
  let start = end;
  while (start > 0 && ts[start - 1] === t) start--;
  if (start < end) return df.slice(start, end - start);
  // None found by binary search: the frame may not be sorted by time; filter instead.
  return df.filter(pl.col("timestamp").cast(pl.Float64).eq(pl.lit(t)));
}

function _firstDiff(
  a: pl.DataFrame,
  b: pl.DataFrame,
): Omit<CausalityDifference, "nodeId" | "barEnd"> {
  const none = {
    column: undefined,
    assetId: undefined,
    wholeHistory: `${a.height} rows`,
    upToBar: `${b.height} rows`,
  };
  if (a.height !== b.height || a.columns.join() !== b.columns.join()) {
    return {
      ...none,
      wholeHistory: `${a.height} rows [${a.columns}]`,
      upToBar: `${b.height} rows [${b.columns}]`,
    };
  }
  const ids = a.columns.includes("asset_id") ? a.getColumn("asset_id").toArray() : [];
  for (const col of a.columns) {
    const x: unknown[] = a.getColumn(col).toArray();
    const y: unknown[] = b.getColumn(col).toArray();
    for (let i = 0; i < x.length; i++) {
      const u = x[i];
      const v = y[i];
      const same = u === v ||
        (typeof u === "number" && typeof v === "number" && Number.isNaN(u) && Number.isNaN(v)) ||
        (u instanceof Date && v instanceof Date && u.getTime() === v.getTime());
      if (!same) {
        return {
          column: col,
          assetId: ids[i] === undefined ? undefined : Number(ids[i]),
          wholeHistory: u,
          upToBar: v,
        };
      }
    }
  }
  return none;
}
