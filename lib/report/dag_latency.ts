/**
 * DAG latency per bar (DESIGN §9 `dag/profiling.csv`: ms per node per bar) and its statistics
 * (DESIGN §10: p50 / p95 / max).
 *
 * `readDagProfiling` accepts the long form (one row per node run: a bar column `bar_timestamp`,
 * `timestamp` or `bar`; a time column `ms`, `elapsed_ms` or `duration_ms`; other columns such as
 * `run`, `method`, `node_id` are ignored) or the wide form (a bar column and one numeric column
 * per node). A bar's latency is the sum over its rows (every node, every method). Rows without
 * a bar (a fit on the whole history) are left out. Bars may be Datetime, epoch ms or ISO text.
 *
 * Percentiles interpolate linearly between order statistics (numpy's default): p50 of
 * [1, 2, 3, 4] is 2.5.
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { upperBound } from "../frame/mod.ts";
import { _floats, _readCsv, _timeMs, _timeSeries } from "./_frame_io.ts";

const _BAR_COLUMNS = ["bar_timestamp", "timestamp", "bar"] as const;
const _MS_COLUMNS = ["ms", "elapsed_ms", "duration_ms"] as const;
const _IGNORED = new Set(["run", "method", "node", "node_id", "node_name", "output"]);

/** DAG latency statistics of a window (ms; null without profiled bars). */
export interface DagLatencyStatistics {
  /** Profiled bars in the window. */
  dag_latency_bars: number;
  /** Median latency per bar, ms. */
  dag_latency_p50_ms: number | null;
  /** 95th percentile, ms. */
  dag_latency_p95_ms: number | null;
  /** Largest latency of a bar, ms. */
  dag_latency_max_ms: number | null;
}

/**
 * Reads a profiling CSV into one row per bar (`timestamp` Datetime ms UTC, `ms` Float64),
 * sorted by time. Throws `DataError` naming the file and the columns it expected.
 */
export function readDagProfiling(path: string): pl.DataFrame {
  const hint = "expected a bar column (bar_timestamp, timestamp or bar) and ms per node";
  const df = _readCsv(path, "DAG profile", hint);
  const where = `Cannot read DAG profile ${path}`;
  const barCol = _BAR_COLUMNS.find((c) => df.columns.includes(c));
  if (barCol === undefined) {
    throw new DataError(`${where}: no bar column (columns: ${df.columns.join(", ")}); ${hint}`);
  }
  const withBar = df.filter(pl.col(barCol).isNotNull());
  const msCol = _MS_COLUMNS.find((c) => withBar.columns.includes(c));
  let ms: Float64Array;
  if (msCol !== undefined) {
    ms = _floats(withBar, msCol, where);
  } else {
    const nodes = withBar.columns.filter((c) =>
      c !== barCol && !_BAR_COLUMNS.includes(c as typeof _BAR_COLUMNS[number]) && !_IGNORED.has(c)
    );
    const numeric = nodes.filter((c) => withBar.getColumn(c).isNumeric());
    if (numeric.length === 0) {
      throw new DataError(`${where}: no ms column (columns: ${df.columns.join(", ")}); ${hint}`);
    }
    ms = new Float64Array(withBar.height);
    for (const c of numeric) {
      const xs = _floats(withBar, c, where);
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i] as number;
        if (!Number.isNaN(x)) ms[i] = (ms[i] as number) + x;
      }
    }
  }
  const bars = withBar.height === 0 ? new Float64Array(0) : _timeMs(withBar, barCol, where);
  const sums = new Map<number, number>();
  for (let i = 0; i < bars.length; i++) {
    const x = ms[i] as number;
    if (Number.isNaN(x)) continue;
    const t = bars[i] as number;
    sums.set(t, (sums.get(t) ?? 0) + x);
  }
  const keys = Float64Array.from(sums.keys()).sort();
  const values = Float64Array.from(keys, (t) => sums.get(t) as number);
  return pl.DataFrame([_timeSeries("timestamp", keys), pl.Series("ms", values)]);
}

/**
 * Latency statistics of the bars of `latency` (a `readDagProfiling` frame) ending in
 * `(start, end]` (the whole frame by default).
 */
export function dagLatencyStatistics(
  latency: pl.DataFrame | undefined,
  options: { start?: number; end?: number } = {},
): DagLatencyStatistics {
  if (latency === undefined || latency.height === 0) return _none();
  const ts = _timeMs(latency, "timestamp", "DAG latency");
  const lo = upperBound(ts, options.start ?? -Infinity);
  const hi = upperBound(ts, options.end ?? Infinity);
  if (hi <= lo) return _none();
  const ms = (_floats(latency, "ms", "DAG latency")).slice(lo, hi).sort();
  return {
    dag_latency_bars: ms.length,
    dag_latency_p50_ms: percentile(ms, 0.5),
    dag_latency_p95_ms: percentile(ms, 0.95),
    dag_latency_max_ms: ms[ms.length - 1] as number,
  };
}

/** The `q` quantile (0..1) of the ascending `sorted`, interpolating linearly; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const i = Math.floor(pos);
  const frac = pos - i;
  const a = sorted[i] as number;
  return frac === 0 ? a : a + (((sorted[i + 1] as number) - a) * frac);
}

function _none(): DagLatencyStatistics {
  return {
    dag_latency_bars: 0,
    dag_latency_p50_ms: null,
    dag_latency_p95_ms: null,
    dag_latency_max_ms: null,
  };
}
