/** The headline statistics table that `backtest` and `simulate` print on stdout. */
import type { PortfolioStatistics } from "../lib/report/mod.ts";

/** The rows `key  value` of the headline statistics, plus the annualization line. */
export function formatHeadlineStats(stats: PortfolioStatistics): string[] {
  const num = (x: number | null, digits = 2) => x === null ? "-" : x.toFixed(digits);
  const pct = (x: number | null) => x === null ? "-" : `${(x * 100).toFixed(2)}%`;
  const rows: [string, string][] = [
    ["initial_cash", num(stats.initial_cash)],
    ["final_net_wealth", num(stats.final_net_wealth)],
    ["total_pnl", num(stats.total_pnl)],
    ["total_return", pct(stats.total_return)],
    ["annualized_return", pct(stats.annualized_return)],
    ["sharpe", num(stats.sharpe)],
    ["sortino", num(stats.sortino)],
    ["max_drawdown", `${num(stats.max_drawdown)} (${pct(stats.max_drawdown_fraction)})`],
    ["turnover", num(stats.turnover)],
    ["num_trades", String(stats.num_trades)],
    ["fees", num(stats.fees)],
  ];
  return [
    ...rows.map(([k, v]) => `${k.padEnd(20)}${v.padStart(24)}`),
    "",
    `annualized: ${stats.annualization}`,
  ];
}
