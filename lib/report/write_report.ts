/**
 * `writeReport`: everything `dagtrade report` does (DESIGN §10), cron-safe.
 *
 * Under the output directory's lock (`report_lock.ts`; a report already running makes this
 * one return `status: "locked"` at once), it reads the run (`readRunOutput`), computes the
 * statistics of each window, draws the cumulative-PnL and drawdown plots (SVG, and PNG through
 * resvg), reconciles the run with the research portfolio recomputed from its own forecasts and,
 * when given, with a research backtest, and writes — each file atomically, the HTML last —
 *
 * ```
 * stats.json                     {"run": {...}, "windows": {"<window>": {...statistics}}}
 * stats.csv                      one row per window, the same keys as columns
 * reconciliation.json            the reconciliations (checks, first difference and its cause)
 * cumulative_pnl.<label>.svg|png one per window (label: all, last_24h, since_2025-01-10)
 * drawdown.<label>.svg|png
 * report.html                    self-contained: statistics, inline SVG plots, reconciliation, config
 * ```
 *
 * File names are stable per window, so a web server can publish the directory and always show
 * the latest report. Everything but `report.html` (which states when it was made) is a pure
 * function of the inputs: running the same report again rewrites the same bytes.
 * Reconciliation covers the widest of the windows asked.
 */
import { join } from "node:path";
import type pl from "nodejs-polars";
import { ConfigError, DataError, InterruptedError } from "../errors/mod.ts";
import { atomicWrite } from "../fs/mod.ts";
import type { Clock } from "../sim/clock.ts";
import { formatTime, formatTimeframe } from "../sim/bar_schema.ts";
import { _timeMs } from "./_frame_io.ts";
import { DEFAULT_TOLERANCE } from "./compare_frames.ts";
import { type PortfolioFrames, reconcilePortfolios } from "./reconcile_portfolios.ts";
import type { Reconciliation } from "./reconcile_portfolios.ts";
import { readRunOutput } from "./read_run_output.ts";
import { type HtmlWindow, renderReportHtml } from "./report_html.ts";
import { acquireReportLock, type ReportLockHolder } from "./report_lock.ts";
import { type ReportWindow, windowRange } from "./report_window.ts";
import { recomputeResearchPortfolio } from "./research_portfolio.ts";
import type { RunOutput } from "./run_output.ts";
import { ANNUALIZATION, barsPerYear } from "./statistics.ts";
import { renderLineChart } from "./svg_line_chart.ts";
import { svgToPng } from "./svg_to_png.ts";
import { windowReport, type WindowStatistics } from "./window_statistics.ts";

/** Fixed file names of a report directory. */
export const REPORT_FILES = {
  /** Statistics per window, JSON. */
  statsJson: "stats.json",
  /** Statistics per window, CSV. */
  statsCsv: "stats.csv",
  /** Reconciliations, JSON. */
  reconciliationJson: "reconciliation.json",
  /** The HTML report. */
  html: "report.html",
} as const;

/** The plot files of a window label: cumulative PnL svg/png, drawdown svg/png. */
export function plotFileNames(label: string): [string, string, string, string] {
  return [
    `cumulative_pnl.${label}.svg`,
    `cumulative_pnl.${label}.png`,
    `drawdown.${label}.svg`,
    `drawdown.${label}.png`,
  ];
}

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** The output directory. Required. */
  outDir: string;
  /** The clock of the lock and of the report's "generated" time. Required. */
  clock: Clock;
  /** Windows, in order (duplicates dropped). Default: `all`. */
  windows?: readonly ReportWindow[] | undefined;
  /** A research backtest (or any run directory) to reconcile the run with. Default: none. */
  researchDir?: string | undefined;
  /** Bars for recomputing the research portfolio. Default: the run's own data. */
  dataPath?: string | undefined;
  /** Recompute the research portfolio from the run's forecasts and reconcile. Default: true. */
  recompute?: boolean | undefined;
  /** Relative tolerance of reconciliation differences. Default: 1e-9. */
  tolerance?: number | undefined;
  /** Plot size, px. Default: 960 × 320. */
  plotWidth?: number | undefined;
  /** Plot height, px. Default: 320. */
  plotHeight?: number | undefined;
  /** Write PNGs beside the SVGs. Default: true. */
  png?: boolean | undefined;
  /** Progress lines. Default: none. */
  log?: ((line: string) => void) | undefined;
  /** Stops the report between steps (`InterruptedError`). Default: none. */
  signal?: AbortSignal | undefined;
}

/** One reconciliation of a report. */
export interface ReportReconciliation {
  /** What was compared. */
  title: string;
  /** The result, or null when skipped. */
  result: Reconciliation | null;
  /** Why it was skipped. */
  skipped: string | null;
}

/** The result of `writeReport`. */
export type ReportResult =
  | {
    /** Another report holds the lock: nothing was written. */
    status: "locked";
    /** The lock file. */
    lockPath: string;
    /** Its holder, when readable. */
    holder: ReportLockHolder | undefined;
  }
  | {
    /** The report was written. */
    status: "written";
    /** The output directory. */
    outDir: string;
    /** The run read (after resolving a production root). */
    run: RunOutput;
    /** The statistics of each window. */
    windows: WindowStatistics[];
    /** The reconciliations. */
    reconciliations: ReportReconciliation[];
    /** Σ differences over the reconciliations that ran. */
    differences: number;
    /** The files written, relative to `outDir`. */
    files: string[];
    /** Milliseconds per step (read, statistics, plots, reconcile, write, total). */
    timings: Record<string, number>;
    /** The stale lock taken over, if any. */
    tookOverLockFrom: ReportLockHolder | undefined;
  };

/** Writes the report of the run at `runDir` (see the module documentation). */
export async function writeReport(
  runDir: string,
  options: WriteReportOptions,
): Promise<ReportResult> {
  const { outDir, clock } = options;
  const log = options.log ?? (() => {});
  const lock = await acquireReportLock(outDir, { clock });
  if (!lock.acquired) return { status: "locked", lockPath: lock.path, holder: lock.holder };
  try {
    const t0 = clock.now();
    const timings: Record<string, number> = {};
    let mark = t0;
    const lap = (name: string) => {
      const now = clock.now();
      timings[name] = now - mark;
      mark = now;
      if (options.signal?.aborted) {
        throw new InterruptedError("Interrupted: the report was stopped (nothing half-written)");
      }
    };
    const windows = _uniqueWindows(options.windows);
    const run = await readRunOutput(runDir, { dataPath: options.dataPath });
    const metrics = await run.metrics();
    const latency = await run.latency();
    log(`read ${run.kind} ${run.dir}: ${metrics.height} bars`);
    lap("read_ms");

    const reports = windows.map((w) => windowReport(metrics, w, { barMs: run.barMs, latency }));
    lap("statistics_ms");

    const width = options.plotWidth ?? 960;
    const height = options.plotHeight ?? 320;
    const files = new Map<string, Uint8Array | string>();
    const htmlWindows: HtmlWindow[] = [];
    for (const r of reports) {
      const names = plotFileNames(r.window.label);
      const cumulative = renderLineChart(r.times, r.cumulativePnl, {
        width,
        height,
        title: `Cumulative PnL — window ${r.window.text}`,
        color: "#1f77b4",
      });
      const drawdown = renderLineChart(r.times, r.drawdown, {
        width,
        height,
        title: `Drawdown of net wealth from its peak — window ${r.window.text}`,
        color: "#d62728",
        fillToZero: true,
        format: "percent",
      });
      files.set(names[0], cumulative);
      files.set(names[2], drawdown);
      if (options.png ?? true) {
        files.set(names[1], await svgToPng(cumulative));
        files.set(names[3], await svgToPng(drawdown));
      }
      const png = options.png ?? true;
      htmlWindows.push({
        stats: r.stats,
        cumulativePnlSvg: cumulative,
        drawdownSvg: drawdown,
        cumulativePnlFiles: png ? [names[0], names[1]] : [names[0]],
        drawdownFiles: png ? [names[2], names[3]] : [names[2]],
      });
    }
    lap("plots_ms");

    const notes: string[] = [];
    const reconciliations = await _reconcile(run, metrics, windows, options, notes, log);
    const differences = reconciliations.reduce((s, r) => s + (r.result?.differences ?? 0), 0);
    lap("reconcile_ms");

    const times = _timeMs(metrics, "timestamp", "report");
    const runSummary = {
      dir: run.dir,
      kind: run.kind,
      bar: formatTimeframe(run.barMs),
      bar_ms: run.barMs,
      bars_per_year: barsPerYear(run.barMs),
      annualization: ANNUALIZATION,
      bars: metrics.height,
      first_bar: times.length > 0 ? formatTime(times[0] as number) : null,
      last_bar: times.length > 0 ? formatTime(times[times.length - 1] as number) : null,
    };
    const statsJson = {
      run: runSummary,
      windows: Object.fromEntries(reports.map((r) => [r.window.text, r.stats])),
    };
    files.set(REPORT_FILES.statsJson, JSON.stringify(statsJson, null, 2) + "\n");
    files.set(REPORT_FILES.statsCsv, _csv(reports.map((r) => r.stats)));
    files.set(
      REPORT_FILES.reconciliationJson,
      JSON.stringify(
        { tolerance: options.tolerance ?? DEFAULT_TOLERANCE, reconciliations },
        null,
        2,
      ) +
        "\n",
    );
    const html = renderReportHtml({
      title: `dagtrade report — ${run.kind === "backtest" ? "backtest" : "run"} ${run.dir}`,
      generatedAt: new Date(clock.now()).toISOString(),
      metadata: run.metadata,
      annualization: `bars per year ${barsPerYear(run.barMs)} (${
        formatTimeframe(run.barMs)
      } bars; ${ANNUALIZATION})`,
      windows: htmlWindows,
      reconciliations,
      configText: run.configText,
      notes,
    });
    for (const [name, data] of files) await atomicWrite(join(outDir, name), data);
    await atomicWrite(join(outDir, REPORT_FILES.html), html);
    lap("write_ms");
    timings["total_ms"] = clock.now() - t0;
    return {
      status: "written",
      outDir,
      run,
      windows: reports.map((r) => r.stats),
      reconciliations,
      differences,
      files: [...files.keys(), REPORT_FILES.html],
      timings,
      tookOverLockFrom: lock.tookOverFrom,
    };
  } finally {
    await lock.lock.release();
  }
}

async function _reconcile(
  run: RunOutput,
  metrics: pl.DataFrame,
  windows: ReportWindow[],
  options: WriteReportOptions,
  notes: string[],
  log: (line: string) => void,
): Promise<ReportReconciliation[]> {
  const out: ReportReconciliation[] = [];
  const times = _timeMs(metrics, "timestamp", "report");
  if (times.length === 0) return out;
  const last = times[times.length - 1] as number;
  const start = Math.min(...windows.map((w) => windowRange(w, last).start));
  const range = {
    tolerance: options.tolerance,
    start: Number.isFinite(start) ? start : undefined,
    skip: _sizedAtFill(run)
      ? {
        targets:
          "the run sized its orders at the fill (equity sizing, next-bar fill): its logged " +
          "targets are decision-time estimates, so fills, trades and holdings are compared instead",
      }
      : undefined,
  };
  const runFrames: PortfolioFrames = {
    label: "run",
    metrics,
    positions: await run.positions(),
  };
  if (options.recompute ?? true) {
    const title = "run vs research recomputed from its own forecasts";
    try {
      const research = await recomputeResearchPortfolio(run, {
        label: "research",
      });
      out.push({ title, result: reconcilePortfolios(runFrames, research, range), skipped: null });
    } catch (error) {
      if (!(error instanceof DataError || error instanceof ConfigError)) throw error;
      out.push({ title, result: null, skipped: error.message });
      notes.push(`research recompute skipped: ${error.message}`);
      log(`warning: research recompute skipped: ${error.message}`);
    }
  }
  if (options.researchDir !== undefined) {
    const research = await readRunOutput(options.researchDir);
    const frames: PortfolioFrames = {
      label: `research ${research.kind} ${research.dir}`,
      metrics: await research.metrics(),
      positions: await research.positions(),
    };
    out.push({
      title: `run vs ${frames.label}`,
      result: reconcilePortfolios(runFrames, frames, range),
      skipped: null,
    });
  }
  return out;
}

/** A system run under equity sizing with a next-bar fill logs decision-time target estimates. */
function _sizedAtFill(run: RunOutput): boolean {
  const s = run.researchSettings;
  return run.kind === "system_log" && s !== undefined && s.sizing === "equity" &&
    s.fill !== "close";
}

function _uniqueWindows(windows: readonly ReportWindow[] | undefined): ReportWindow[] {
  const list = windows === undefined || windows.length === 0
    ? [{ kind: "all", text: "all", label: "all" } as ReportWindow]
    : windows;
  const seen = new Set<string>();
  return list.filter((w) => !seen.has(w.label) && (seen.add(w.label), true));
}

function _csv(rows: WindowStatistics[]): string {
  if (rows.length === 0) return "";
  const keys = Object.keys(rows[0] as object);
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return "";
    const s = typeof v === "number" && !Number.isFinite(v) ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [keys.join(",")];
  for (const row of rows) {
    lines.push(keys.map((k) => cell((row as unknown as Record<string, unknown>)[k])).join(","));
  }
  return lines.join("\n") + "\n";
}
