import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { parseReportWindow } from "./report_window.ts";
import { formatDurationMs, STATISTIC_ROWS, windowReport } from "./window_statistics.ts";

const T = Date.UTC(2025, 0, 6);
const H = 3_600_000;

function metrics(pnl: number[]): pl.DataFrame {
  let w = 100;
  return pl.DataFrame([
    pl.Series("timestamp", pnl.map((_, i) => T + (i + 1) * H)).cast(pl.Int64).cast(
      pl.Datetime("ms", "UTC"),
    ),
    pl.Series("pnl", pnl),
    pl.Series("net_wealth", pnl.map((p) => w += p)),
  ]);
}

Deno.test("windowReport() gives the window's cumulative PnL and drawdown series from its own start", () => {
  const df = metrics([10, -5, 20, -10, 0, 5]);
  const all = windowReport(df, parseReportWindow("all"), { barMs: H });
  assert.deepEqual([...all.cumulativePnl], [10, 5, 25, 15, 15, 20]);
  assert.deepEqual([...all.drawdown].map((d) => Math.round(d * 1e6) / 1e6), [
    0,
    -0.045455,
    0,
    -0.08,
    -0.08,
    -0.04,
  ]);
  assert.equal(all.stats.window, "all");
  assert.equal(all.stats.start_utc, "2025-01-06T01:00Z");
  const last = windowReport(df, parseReportWindow("last:3h"), { barMs: H });
  assert.equal(last.stats.bars, 3);
  assert.equal(last.stats.initial_cash, 125);
  assert.deepEqual([...last.cumulativePnl], [-10, -10, -5]);
  // A one-bar window is annualized with the run's bar, not inferred.
  const one = windowReport(df, parseReportWindow("last:1h"), { barMs: H });
  assert.equal(one.stats.bars_per_year, 8760);
  const none = windowReport(df, parseReportWindow("since:2026-01-01"), { barMs: H });
  assert.equal(none.stats.bars, 0);
  assert.equal(none.stats.sharpe, null);
  for (const row of STATISTIC_ROWS) assert.equal(typeof row.format(none.stats), "string");
});

Deno.test("formatDurationMs() writes days, hours, minutes and seconds", () => {
  assert.equal(formatDurationMs(0), "0");
  assert.equal(formatDurationMs(300_000), "5m");
  assert.equal(formatDurationMs(2 * 86_400_000 + 3 * H + 30_000), "2d 3h 30s");
});
