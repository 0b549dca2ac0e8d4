/**
 * `dagtrade report`: statistics, plots and a self-contained HTML report of a backtest directory
 * or a system log directory, and the reconciliation of its portfolio with the research
 * portfolio recomputed from its own forecasts (and with a research backtest). Cron-safe: a lock
 * against overlapping runs, atomic writes, stable file names, exit codes 0/1/2, `--quiet`.
 */
import type { Command, CommandIo } from "./command.ts";
import { type CommandSpec, parseCommandArgs } from "./options.ts";
import { formatTime, RealClock } from "../lib/sim/mod.ts";
import {
  parseReportWindow,
  type ReportResult,
  STATISTIC_ROWS,
  writeReport,
} from "../lib/report/mod.ts";
import { UsageError } from "../lib/errors/mod.ts";

const spec: CommandSpec = {
  name: "report",
  summary: "PnL report (stats, plots, HTML) and reconciliation of a backtest or a system log dir",
  usage: "--run <dir> --out <dir> [--window <w>]... [--research <backtest dir>] [options]",
  description:
    "Reads a backtest directory (config.json, portfolio/) or a system log directory of simulate / " +
    "run-prod (run.json, process_forecasts/), or a production root (its latest " +
    "<dag>/<mode>/<schedule>/<start>.<end>/system_log_dir), and writes into --out: stats.json and " +
    "stats.csv (one entry per window), cumulative_pnl.<window>.svg|png and drawdown.<window>.svg|png, " +
    "reconciliation.json and one self-contained report.html (inline SVG, no network). Statistics are " +
    "annualized with bars_per_year = 365 days / bar period (24/7 markets). Windows: all, " +
    "since:<UTC date>, last:<duration> (last:5m, last:24h, last:7d), measured back from the run's LAST " +
    "BAR, not from the wall clock; file labels all, since_<date>, last_24h. Reconciliation: the run's " +
    "portfolio against the research portfolio recomputed from the run's own forecasts (the forecast " +
    "evaluator on the run's bars), and against --research; forecasts, targets, fills, trades, " +
    "holdings and per-bar PnL are compared bar by bar over the widest window, and the first difference " +
    "is explained when its cause is known (missing bar, forecast, rounding, fill size, fill price, " +
    "fee, mark price). Cron-safe: <out>/.report.lock keeps two reports from overlapping (the second " +
    "exits 0 at once, saying who holds the lock; a lock whose process died is taken over), every " +
    "file is written atomically, report.html last. Exit codes: 0 ok (or another report running), 1 " +
    "differences above --threshold, 2 missing or corrupt input.",
  options: [
    {
      name: "run",
      type: "string",
      valueName: "<dir>",
      description: "Backtest directory, system log directory or production root",
    },
    { name: "out", type: "string", valueName: "<dir>", description: "Output directory" },
    {
      name: "window",
      type: "string",
      valueName: "<w>",
      multiple: true,
      default: "all",
      description: "all | since:<UTC date> | last:<duration> (from the run's last bar)",
    },
    {
      name: "research",
      type: "string",
      valueName: "<dir>",
      description: "A research backtest over the same window to reconcile the run with",
    },
    {
      name: "data",
      type: "string",
      valueName: "<path>",
      description: "Bars (snapshot or store) for the research recompute (the run's own)",
    },
    {
      name: "no-recompute",
      type: "boolean",
      description: "Skip recomputing the research portfolio from the run's forecasts",
    },
    {
      name: "threshold",
      type: "string",
      valueName: "<x>",
      description:
        "Exit 1 when a reconciliation finds a difference above x (relative to the column's " +
        "magnitude); without it differences above 1e-9 are reported and the exit code is 0",
    },
    {
      name: "no-png",
      type: "boolean",
      description: "Write SVG plots only",
    },
    {
      name: "json",
      type: "boolean",
      description: "Print stats.json and the reconciliation summary as JSON",
    },
    {
      name: "quiet",
      type: "boolean",
      description: "Print nothing on success (errors and a failed --threshold still go to stderr)",
    },
  ],
  examples: [
    "dagtrade report --run out/demo/backtest_sma_cross --out out/report_sma",
    "dagtrade report --run out/sim --research out/bt --window all --window last:24h --out out/report_sim --threshold 1e-6",
    "dagtrade report --run /srv/prod/cross_sectional/prod --window last:5m --window last:24h --out /var/www/report --quiet",
  ],
};

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  const runDir = parsed.required("run");
  const outDir = parsed.required("out");
  const given = parsed.strings("window");
  const windows = (given.length > 0 ? given : ["all"]).map(parseReportWindow);
  const threshold = parsed.number("threshold", { min: 0 });
  const quiet = parsed.flag("quiet");
  const json = parsed.flag("json");
  if (parsed.has("research") && parsed.string("research") === "") {
    throw new UsageError("--research needs a directory");
  }
  const clock = new RealClock();
  const result = await writeReport(runDir, {
    outDir,
    clock,
    windows,
    researchDir: parsed.string("research"),
    dataPath: parsed.string("data"),
    recompute: !parsed.flag("no-recompute"),
    tolerance: threshold,
    png: !parsed.flag("no-png"),
    log: quiet ? undefined : (line) => io.stderr(line + "\n"),
    signal: io.signal,
  });
  if (result.status === "locked") {
    const h = result.holder;
    if (!quiet) {
      io.stderr(
        `another report is running (${
          h === undefined
            ? "lock being written"
            : `pid ${h.pid} on ${h.hostname} since ${h.started_at}`
        }): ${result.lockPath}; nothing done\n`,
      );
    }
    return 0;
  }
  const failed = threshold !== undefined && result.differences > 0;
  if (!quiet) {
    if (result.tookOverLockFrom !== undefined) {
      io.stderr(
        `took over a stale lock of pid ${result.tookOverLockFrom.pid} (${result.tookOverLockFrom.hostname})\n`,
      );
    }
    io.stdout(json ? _json(result) : _summary(result));
  }
  if (failed) {
    io.stderr(
      `reconciliation: ${
        _plural(result.differences, "difference")
      } above the threshold ${threshold}` +
        `${_firstCause(result)}; see ${outDir}/reconciliation.json\n`,
    );
    return 1;
  }
  return 0;
}

type _Written = Extract<ReportResult, { status: "written" }>;

function _summary(r: _Written): string {
  const windows = r.windows;
  const labelWidth = Math.max(...STATISTIC_ROWS.map((row) => row.label.length)) + 2;
  const cells = STATISTIC_ROWS.map((row) => windows.map((w) => row.format(w)));
  const widths = windows.map((w, i) =>
    Math.max(w.window.length, ...cells.map((c) => (c[i] as string).length)) + 2
  );
  const lines = [
    `report of ${r.run.kind} ${r.run.dir}: ${r.run.metadata["bars"]} bars of ${
      r.run.metadata["bar"]
    }, bars_per_year ${r.windows[0]?.bars_per_year}`,
    "",
    " ".repeat(labelWidth) + windows.map((w, i) => w.window.padStart(widths[i] as number)).join(""),
    ...STATISTIC_ROWS.map((row, k) =>
      row.label.padEnd(labelWidth) +
      (cells[k] as string[]).map((c, i) => c.padStart(widths[i] as number)).join("")
    ),
    "",
  ];
  for (const rec of r.reconciliations) {
    if (rec.result === null) {
      lines.push(`${rec.title}: skipped (${rec.skipped})`);
      continue;
    }
    const res = rec.result;
    if (res.range === null) {
      lines.push(`${rec.title}: no common bar`);
      continue;
    }
    lines.push(
      `${rec.title}: ${res.bars} bars ${formatTime(res.range.first)} → ${
        formatTime(res.range.last)
      }, ` +
        `${res.differences === 0 ? "no differences" : _plural(res.differences, "difference")}`,
    );
    for (const check of res.checks) {
      const c = check.comparison;
      if (c === null) lines.push(`  ${check.name.padEnd(10)} skipped: ${check.skipped}`);
      else {
        const worst = c.columns.reduce((m, col) => Math.max(m, col.maxAbsDiff), 0);
        lines.push(
          `  ${check.name.padEnd(10)} ${
            _plural(c.differences, "difference").padStart(14)
          } in ${c.rows} rows` +
            (worst > 0 ? `, largest |a-b| ${worst.toPrecision(4)}` : ""),
        );
      }
    }
    if (res.first !== null) {
      lines.push(`  first difference (${res.first.kind}): ${res.first.cause}`);
    }
  }
  lines.push(
    "",
    `output: ${r.outDir} (report.html, stats.json, stats.csv, reconciliation.json, plots) in ${
      r.timings["total_ms"]
    } ms`,
  );
  return lines.join("\n") + "\n";
}

function _json(r: _Written): string {
  return JSON.stringify(
    {
      run: { dir: r.run.dir, kind: r.run.kind, bar_ms: r.run.barMs },
      out: r.outDir,
      windows: Object.fromEntries(r.windows.map((w) => [w.window, w])),
      reconciliations: r.reconciliations.map((rec) => ({
        title: rec.title,
        skipped: rec.skipped,
        differences: rec.result?.differences ?? null,
        bars: rec.result?.bars ?? null,
        first: rec.result?.first ?? null,
      })),
      differences: r.differences,
      files: r.files,
      timings: r.timings,
    },
    null,
    2,
  ) + "\n";
}

function _firstCause(r: _Written): string {
  for (const rec of r.reconciliations) {
    if (rec.result?.first) return ` (${rec.title}: first at ${rec.result.first.cause})`;
  }
  return "";
}

function _plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The `report` command (register it in cmd/commands.ts). */
export const reportCommand: Command = { spec, run };
