/**
 * The self-contained HTML report (DESIGN §10): one file with inline CSS and inline SVG plots —
 * no scripts, no fonts, images or styles fetched from anywhere — holding the run's metadata,
 * the statistics table (one column per window), the cumulative-PnL and drawdown plots of each
 * window, the reconciliations, and the run's config.
 */
import type { JsonValue } from "../config/mod.ts";
import { formatTime } from "../sim/bar_schema.ts";
import type { Reconciliation } from "./reconcile_portfolios.ts";
import { escapeXml } from "./svg_line_chart.ts";
import { STATISTIC_ROWS, type WindowStatistics } from "./window_statistics.ts";

/** A window's part of the report. */
export interface HtmlWindow {
  /** The statistics. */
  stats: WindowStatistics;
  /** The cumulative-PnL chart (an SVG document). */
  cumulativePnlSvg: string;
  /** The drawdown chart. */
  drawdownSvg: string;
  /** The cumulative-PnL plot files written beside the report (names, for the caption). */
  cumulativePnlFiles: string[];
  /** The drawdown plot files. */
  drawdownFiles: string[];
}

/** A reconciliation's part of the report. */
export interface HtmlReconciliation {
  /** What was compared (`run vs research recomputed from its forecasts`). */
  title: string;
  /** The result, or null when it could not run. */
  result: Reconciliation | null;
  /** Why it could not run. */
  skipped: string | null;
}

/** Everything the HTML report shows. */
export interface ReportDocument {
  /** Page title. */
  title: string;
  /** When the report was made (ISO), or undefined to leave it out. */
  generatedAt: string | undefined;
  /** The run's metadata (key → value). */
  metadata: Readonly<Record<string, JsonValue>>;
  /** How statistics are annualized (stated in the report). */
  annualization: string;
  /** The windows, in the order asked. */
  windows: HtmlWindow[];
  /** The reconciliations. */
  reconciliations: HtmlReconciliation[];
  /** The run's config text. */
  configText: string | undefined;
  /** Notes (skipped parts, warnings). */
  notes: string[];
}

const _CSS = `
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.meta td:first-child { font-weight: bold; white-space: nowrap; }
.stats td:first-child { white-space: nowrap; }
.ok { color: #1a7f37; font-weight: bold; }
.bad { color: #b42318; font-weight: bold; }
.muted { color: #666; font-size: 12px; }
figure { margin: 8px 0 16px; }
figcaption { color: #666; font-size: 12px; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 8px; font-size: 12px; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
`;

/** Renders the report as one HTML document string. */
export function renderReportHtml(doc: ReportDocument): string {
  const h = escapeXml;
  const out: string[] = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(doc.title)}</title>`,
    `<style>${_CSS}</style>`,
    "</head>",
    "<body>",
    `<h1>${h(doc.title)}</h1>`,
    `<p class="muted">${doc.generatedAt === undefined ? "" : `generated ${h(doc.generatedAt)} · `}${
      h(doc.annualization)
    }</p>`,
  ];

  out.push("<h2>Run</h2>", '<table class="meta">');
  for (const [key, value] of Object.entries(doc.metadata)) {
    out.push(`<tr><td>${h(key)}</td><td>${h(_jsonText(value))}</td></tr>`);
  }
  out.push("</table>");

  out.push('<h2 id="statistics">Statistics</h2>', '<table class="stats">');
  out.push(
    `<tr><th>statistic</th>${
      doc.windows.map((w) => `<th>window ${h(w.stats.window)}</th>`).join("")
    }</tr>`,
  );
  for (const row of STATISTIC_ROWS) {
    out.push(
      `<tr><td>${h(row.label)}</td>${
        doc.windows.map((w) => `<td class="num">${h(row.format(w.stats))}</td>`).join("")
      }</tr>`,
    );
  }
  out.push("</table>");

  out.push('<h2 id="plots">Plots</h2>');
  for (const w of doc.windows) {
    out.push(`<h3>window ${h(w.stats.window)}</h3>`);
    out.push(
      `<figure>${_inlineSvg(w.cumulativePnlSvg)}<figcaption>cumulative PnL · ${
        h(w.cumulativePnlFiles.join(", "))
      }</figcaption></figure>`,
    );
    out.push(
      `<figure>${_inlineSvg(w.drawdownSvg)}<figcaption>drawdown of net wealth from its peak · ${
        h(w.drawdownFiles.join(", "))
      }</figcaption></figure>`,
    );
  }

  out.push('<h2 id="reconciliation">Reconciliation</h2>');
  if (doc.reconciliations.length === 0) out.push('<p class="muted">none requested</p>');
  for (const rec of doc.reconciliations) out.push(..._reconciliationHtml(rec));

  if (doc.notes.length > 0) {
    out.push("<h2>Notes</h2>", "<ul>", ...doc.notes.map((n) => `<li>${h(n)}</li>`), "</ul>");
  }
  out.push('<h2 id="config">Config</h2>');
  out.push(
    doc.configText === undefined
      ? '<p class="muted">the run saved no config</p>'
      : `<pre>${h(doc.configText)}</pre>`,
  );
  out.push("</body>", "</html>");
  return out.join("\n") + "\n";
}

function _reconciliationHtml(rec: HtmlReconciliation): string[] {
  const h = escapeXml;
  const out = [`<h3>${h(rec.title)}</h3>`];
  if (rec.result === null) {
    out.push(`<p class="muted">skipped: ${h(rec.skipped ?? "")}</p>`);
    return out;
  }
  const r = rec.result;
  if (r.range === null) {
    out.push(`<p class="bad">the two portfolios share no bar</p>`);
    return out;
  }
  out.push(
    `<p>${r.bars} bars, ${h(formatTime(r.range.first))} → ${
      h(formatTime(r.range.last))
    }; tolerance ${r.tolerance} of each column's magnitude: ${
      r.differences === 0
        ? '<span class="ok">no differences</span>'
        : `<span class="bad">${r.differences} difference${r.differences === 1 ? "" : "s"}</span>`
    }</p>`,
  );
  if (r.first !== null) {
    out.push(
      `<p><b>first difference</b> (${h(r.first.kind)}): ${h(r.first.cause)}</p>`,
    );
  }
  out.push(
    "<table><tr><th>check</th><th>rows compared</th><th>differences</th>" +
      "<th>largest |a − b|</th><th>first differing</th></tr>",
  );
  for (const check of r.checks) {
    if (check.comparison === null) {
      out.push(
        `<tr><td>${h(check.name)}</td><td colspan="4" class="muted">skipped: ${
          h(check.skipped ?? "")
        }</td></tr>`,
      );
      continue;
    }
    const c = check.comparison;
    const worst = c.columns.reduce((m, col) => Math.max(m, col.maxAbsDiff), 0);
    const f = c.first;
    const firstText = f === null
      ? "-"
      : `${formatTime(f.key.timestamp)}${
        f.key.asset_id === undefined ? "" : ` asset ${f.key.asset_id}`
      } ${f.column ?? `(row missing in ${f.missingIn === "a" ? r.a : r.b})`}`;
    out.push(
      `<tr><td>${h(check.name)}</td><td class="num">${c.rows}</td><td class="num ${
        c.differences === 0 ? "ok" : "bad"
      }">${c.differences}</td><td class="num">${_short(worst)}</td><td>${h(firstText)}</td></tr>`,
    );
  }
  out.push("</table>");
  if (r.largest.length > 0) {
    out.push(
      "<table><tr><th>largest differences</th><th>where</th><th>" + h(r.a) + "</th><th>" +
        h(r.b) + "</th><th>|a − b|</th></tr>",
    );
    for (const d of r.largest.slice(0, 10)) {
      out.push(
        `<tr><td>${h(d.check)}.${h(d.column)}</td><td>${h(formatTime(d.key.timestamp))}${
          d.key.asset_id === undefined ? "" : ` asset ${d.key.asset_id}`
        }</td><td class="num">${_short(d.a)}</td><td class="num">${
          _short(d.b)
        }</td><td class="num">${_short(d.absDiff)}</td></tr>`,
      );
    }
    out.push("</table>");
  }
  return out;
}

function _inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, "").trim();
}

function _jsonText(value: JsonValue): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function _short(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "NaN";
  if (x === 0) return "0";
  const abs = Math.abs(x);
  return abs >= 1e-3 && abs < 1e9 ? String(Number(x.toPrecision(10))) : x.toExponential(4);
}
