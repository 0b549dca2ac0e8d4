/**
 * Reports (DESIGN §10): statistics of per-bar portfolio series, the runs they are read from
 * (backtest directories, system log directories), report windows, SVG/PNG plots, the
 * self-contained HTML report, reconciliation of two portfolios, and `writeReport`, which
 * `dagtrade report` runs under a lock.
 */
export * from "./statistics.ts";
export * from "./dag_latency.ts";
export * from "./report_window.ts";
export * from "./window_statistics.ts";
export * from "./run_output.ts";
export * from "./research_settings.ts";
export * from "./backtest_run_output.ts";
export * from "./system_log_run_output.ts";
export * from "./read_run_output.ts";
export * from "./compare_frames.ts";
export * from "./reconcile_portfolios.ts";
export * from "./research_portfolio.ts";
export * from "./svg_line_chart.ts";
export * from "./svg_to_png.ts";
export * from "./decode_png.ts";
export * from "./report_html.ts";
export * from "./report_lock.ts";
export * from "./write_report.ts";
