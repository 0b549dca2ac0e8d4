/**
 * The statistics of one report window (DESIGN §10): the portfolio statistics of the window's
 * bars (`statisticsFromMetrics`, annualized with the run's bar period — never inferred from
 * the window, which may hold a single bar), the window's DAG latency, and the series the plots
 * draw (cumulative PnL from 0 at the window's start, drawdown of net wealth from its running
 * peak as a fraction of that peak, the window's opening net wealth counting as the first peak).
 * Also the table layout shared by the HTML report and the command's summary.
 */
import type pl from "nodejs-polars";
import { formatTime } from "../sim/bar_schema.ts";
import { _floats, _inRange, _timeMs } from "./_frame_io.ts";
import { type DagLatencyStatistics, dagLatencyStatistics } from "./dag_latency.ts";
import { type ReportWindow, windowRange } from "./report_window.ts";
import { type PortfolioStatistics, statisticsFromMetrics } from "./statistics.ts";

/** The statistics of one window, as written to stats.json (snake_case). */
export type WindowStatistics =
  & {
    /** The window as written (`all`, `last:24h`). */
    window: string;
    /** First bar end of the window, UTC text (null without bars). */
    start_utc: string | null;
    /** Last bar end of the window, UTC text. */
    end_utc: string | null;
  }
  & PortfolioStatistics
  & DagLatencyStatistics;

/** A window's statistics and plot series. */
export interface WindowReport {
  /** The window. */
  window: ReportWindow;
  /** Its statistics. */
  stats: WindowStatistics;
  /** Bar ends, epoch ms. */
  times: Float64Array;
  /** Cumulative PnL from 0 at the window's start. */
  cumulativePnl: Float64Array;
  /** Drawdown of net wealth from its running peak, as a fraction (≤ 0). */
  drawdown: Float64Array;
}

/** Options of `windowReport`. */
export interface WindowReportOptions {
  /** The run's bar period, ms. Required. */
  barMs: number;
  /** The run's DAG latency per bar. Default: none. */
  latency?: pl.DataFrame | undefined;
}

/** Statistics and plot series of `window` over the run's per-bar `metrics` (sorted by time). */
export function windowReport(
  metrics: pl.DataFrame,
  window: ReportWindow,
  options: WindowReportOptions,
): WindowReport {
  const all = _timeMs(metrics, "timestamp", "Cannot compute the report statistics");
  const last = all.length > 0 ? all[all.length - 1] as number : 0;
  const range = windowRange(window, last);
  const slice = _inRange(metrics, range.start, range.end);
  const stats = statisticsFromMetrics(slice, { barMs: options.barMs });
  const times = _timeMs(slice, "timestamp", "Cannot compute the report statistics");
  const pnl = _floats(slice, "pnl", "Cannot compute the report statistics");
  const wealth = _floats(slice, "net_wealth", "Cannot compute the report statistics");
  const cumulativePnl = new Float64Array(pnl.length);
  const drawdown = new Float64Array(pnl.length);
  let sum = 0;
  let peak = stats.initial_cash;
  for (let i = 0; i < pnl.length; i++) {
    sum += pnl[i] as number;
    cumulativePnl[i] = sum;
    const w = wealth[i] as number;
    if (w > peak) peak = w;
    drawdown[i] = peak > 0 ? Math.min(0, w / peak - 1) : NaN;
  }
  const latency = dagLatencyStatistics(options.latency, range);
  return {
    window,
    stats: {
      window: window.text,
      start_utc: stats.start === null ? null : formatTime(stats.start),
      end_utc: stats.end === null ? null : formatTime(stats.end),
      ...stats,
      ...latency,
    },
    times,
    cumulativePnl,
    drawdown,
  };
}

/** One row of the statistics table. */
export interface StatisticRow {
  /** The stats.json key(s) shown. */
  key: string;
  /** Label. */
  label: string;
  /** The cell text of a window. */
  format(s: WindowStatistics): string;
}

/** The rows of the statistics table (HTML and the command's summary), in order. */
export const STATISTIC_ROWS: readonly StatisticRow[] = [
  { key: "bars", label: "bars", format: (s) => String(s.bars) },
  { key: "start_utc", label: "first bar end (UTC)", format: (s) => s.start_utc ?? "-" },
  { key: "end_utc", label: "last bar end (UTC)", format: (s) => s.end_utc ?? "-" },
  { key: "initial_cash", label: "initial net wealth", format: (s) => _money(s.initial_cash) },
  { key: "final_net_wealth", label: "final net wealth", format: (s) => _money(s.final_net_wealth) },
  { key: "total_pnl", label: "total PnL", format: (s) => _money(s.total_pnl) },
  { key: "total_return", label: "total return", format: (s) => _pct(s.total_return) },
  { key: "annualized_pnl", label: "annualized PnL", format: (s) => _money(s.annualized_pnl) },
  {
    key: "annualized_return",
    label: "annualized return",
    format: (s) => _pct(s.annualized_return),
  },
  {
    key: "annualized_volatility",
    label: "annualized volatility",
    format: (s) => _pct(s.annualized_volatility),
  },
  { key: "sharpe", label: "Sharpe", format: (s) => _fixed(s.sharpe, 2) },
  { key: "sortino", label: "Sortino", format: (s) => _fixed(s.sortino, 2) },
  {
    key: "max_drawdown",
    label: "max drawdown",
    format: (s) => `${_money(s.max_drawdown)} (${_pct(s.max_drawdown_fraction)})`,
  },
  {
    key: "max_drawdown_duration_ms",
    label: "max drawdown duration",
    format: (s) =>
      `${formatDurationMs(s.max_drawdown_duration_ms)}${
        s.max_drawdown === 0 ? "" : s.max_drawdown_recovered ? " (recovered)" : " (not recovered)"
      }`,
  },
  { key: "calmar", label: "Calmar", format: (s) => _fixed(s.calmar, 2) },
  {
    key: "turnover",
    label: "turnover (per year)",
    format: (s) => s.turnover === null ? "-" : `${_fixed(s.turnover, 1)}×`,
  },
  { key: "average_gmv", label: "average GMV", format: (s) => _money(s.average_gmv) },
  { key: "hit_rate", label: "hit rate", format: (s) => _pct(s.hit_rate) },
  { key: "num_trades", label: "trades", format: (s) => String(s.num_trades) },
  { key: "fees", label: "fees", format: (s) => _money(s.fees) },
  {
    key: "dag_latency",
    label: "DAG latency p50 / p95 / max",
    format: (s) =>
      s.dag_latency_bars === 0
        ? "-"
        : `${_fixed(s.dag_latency_p50_ms, 1)} / ${_fixed(s.dag_latency_p95_ms, 1)} / ${
          _fixed(s.dag_latency_max_ms, 1)
        } ms`,
  },
];

/** `3d 4h 5m` style text of a duration in ms (`0` for none). */
export function formatDurationMs(ms: number): string {
  if (!(ms > 0)) return "0";
  const units: [number, string][] = [[86_400_000, "d"], [3_600_000, "h"], [60_000, "m"], [
    1000,
    "s",
  ]];
  const parts: string[] = [];
  let rest = ms;
  for (const [size, name] of units) {
    const k = Math.floor(rest / size);
    if (k > 0) parts.push(`${k}${name}`);
    rest -= k * size;
  }
  return parts.length === 0 ? `${ms}ms` : parts.join(" ");
}

function _money(x: number | null): string {
  if (x === null) return "-";
  const fixed = Math.abs(x).toFixed(2);
  const [int, frac] = fixed.split(".");
  const grouped = (int ?? "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${x < 0 && Number(fixed) !== 0 ? "-" : ""}${grouped}.${frac}`;
}

function _pct(x: number | null): string {
  return x === null ? "-" : `${(x * 100).toFixed(2)}%`;
}

function _fixed(x: number | null, digits: number): string {
  return x === null ? "-" : x.toFixed(digits);
}
