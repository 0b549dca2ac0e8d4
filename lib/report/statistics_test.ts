import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";
import {
  ANNUALIZATION,
  barsPerYear,
  computeStatistics,
  statisticsFromMetrics,
} from "./statistics.ts";

const DAY = 86_400_000;

function near(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

Deno.test("barsPerYear() counts 365 days of 24 hours", () => {
  assert.equal(barsPerYear(300_000), 105_120);
  assert.equal(barsPerYear(DAY), 365);
  assert.throws(() => barsPerYear(0), UsageError);
});

Deno.test("computeStatistics() on a hand-made daily series", () => {
  // initial 100; pnl 10, −5, 20, −10, 0 → wealth 110, 105, 125, 115, 115.
  const pnl = [10, -5, 20, -10, 0];
  const netWealth = [110, 105, 125, 115, 115];
  const s = computeStatistics({
    pnl,
    netWealth,
    gmv: [100, 100, 120, 0, 0],
    grossVolume: [100, 0, 30, 120, 0],
    numTrades: [1, 0, 1, 1, 0],
    fees: [0.1, 0, 0.03, 0.12, 0],
    timestamp: [1, 2, 3, 4, 5].map((d) => d * DAY),
  }, { barMs: DAY });
  const r = [10 / 100, -5 / 110, 20 / 105, -10 / 125, 0 / 115];
  const mean = (r[0]! + r[1]! + r[2]! + r[3]! + r[4]!) / 5;
  const variance = r.map((x) => (x - mean) ** 2).reduce((a, b) => a + b) / 4;
  const downside = Math.sqrt((r[1]! ** 2 + r[3]! ** 2) / 5);
  assert.equal(s.initial_cash, 100);
  assert.equal(s.final_net_wealth, 115);
  assert.equal(s.total_pnl, 15);
  near(s.total_return, 0.15, "total_return");
  near(s.annualized_pnl, 15 * 365 / 5, "annualized_pnl");
  near(s.annualized_return, 1.15 ** (365 / 5) - 1, "annualized_return");
  near(s.annualized_volatility, Math.sqrt(variance * 365), "annualized_volatility");
  near(s.sharpe, mean / Math.sqrt(variance) * Math.sqrt(365), "sharpe");
  near(s.sortino, mean / downside * Math.sqrt(365), "sortino");
  // Peaks 110, 110, 125, 125, 125: the largest drop is 10 from 125 (bar 2), never recovered.
  assert.equal(s.max_drawdown, 10);
  near(s.max_drawdown_fraction, 10 / 125, "max_drawdown_fraction");
  assert.equal(s.max_drawdown_duration_bars, 2);
  assert.equal(s.max_drawdown_duration_ms, 2 * DAY);
  assert.equal(s.max_drawdown_recovered, false);
  near(s.calmar, (1.15 ** 73 - 1) / 0.08, "calmar");
  near(s.average_gmv, 64, "average_gmv");
  near(s.turnover, (250 / 5) * 365 / 64, "turnover");
  assert.equal(s.hit_rate, 0.5);
  assert.equal(s.num_trades, 3);
  near(s.fees, 0.25, "fees");
  assert.deepEqual([s.start, s.end, s.bars, s.bar_ms, s.bars_per_year], [
    DAY,
    5 * DAY,
    5,
    DAY,
    365,
  ]);
  assert.equal(s.annualization, ANNUALIZATION);
});

Deno.test("computeStatistics() measures a recovered drawdown from its peak to the recovery", () => {
  // initial 100 (the first peak); 90, 80, 95, 100, 120: drop 20 from 100, back at bar 3.
  const netWealth = [90, 80, 95, 100, 120];
  const pnl = [-10, -10, 15, 5, 20];
  const s = computeStatistics({ pnl, netWealth }, { barMs: 3_600_000 });
  assert.equal(s.max_drawdown, 20);
  near(s.max_drawdown_fraction, 0.2, "fraction");
  assert.equal(s.max_drawdown_duration_bars, 4, "from the initial peak (bar −1) to bar 3");
  assert.equal(s.max_drawdown_duration_ms, 4 * 3_600_000);
  assert.equal(s.max_drawdown_recovered, true);
  assert.equal(s.bars_per_year, 8760);
  assert.equal(s.turnover, null);
  assert.equal(s.average_gmv, null);
  assert.equal(s.hit_rate, 3 / 5);
});

Deno.test("computeStatistics() reports undefined statistics as null", () => {
  const flat = computeStatistics({ pnl: [0, 0, 0], netWealth: [50, 50, 50] }, { barMs: DAY });
  assert.equal(flat.initial_cash, 50);
  assert.equal(flat.sharpe, null);
  assert.equal(flat.sortino, null);
  assert.equal(flat.hit_rate, null);
  assert.equal(flat.max_drawdown, 0);
  assert.equal(flat.max_drawdown_fraction, 0);
  assert.equal(flat.calmar, null);
  assert.equal(flat.annualized_return, 0);
  const gains = computeStatistics({ pnl: [1, 2], netWealth: [11, 13] }, {
    barMs: DAY,
    initialCash: 10,
  });
  assert.equal(gains.sortino, null, "no downside");
  assert.ok(gains.sharpe !== null && gains.sharpe > 0);
  const empty = computeStatistics({ pnl: [], netWealth: [] }, { barMs: DAY, initialCash: 10 });
  assert.deepEqual([empty.bars, empty.final_net_wealth, empty.total_pnl, empty.sharpe], [
    0,
    null,
    0,
    null,
  ]);
  const bust = computeStatistics({ pnl: [-5, -5, 1, 1], netWealth: [5, 0, 1, 2] }, { barMs: DAY });
  assert.equal(bust.annualized_return, (2 / 10) ** (365 / 4) - 1);
  // Returns after a bar at net wealth 0 are undefined: only −5/10, −5/5 and 1/1 count.
  const kept = [-0.5, -1, 1];
  const m = (kept[0]! + kept[1]! + kept[2]!) / 3;
  const sd = Math.sqrt(kept.map((x) => (x - m) ** 2).reduce((a, b) => a + b) / 2);
  near(bust.sharpe, m / sd * Math.sqrt(365), "sharpe over the defined returns");
  const ruined = computeStatistics({ pnl: [-10], netWealth: [0] }, { barMs: DAY });
  assert.equal(ruined.annualized_return, null);
  assert.throws(() => computeStatistics({ pnl: [1], netWealth: [] }, { barMs: DAY }), UsageError);
  assert.throws(() => computeStatistics({ pnl: [1], netWealth: [1] }, {}), UsageError);
});

Deno.test("statisticsFromMetrics() reads a bar-metrics frame and infers the bar period", () => {
  const ts = [1, 2, 3].map((i) => Date.UTC(2025, 0, 1) + i * 300_000);
  const metrics = pl.DataFrame([
    pl.Series("timestamp", ts).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
    pl.Series("pnl", [1, -2, 3]),
    pl.Series("net_wealth", [101, 99, 102]),
    pl.Series("gmv", [50, 50, 50]),
    pl.Series("gross_volume", [50, 0, 0]),
    pl.Series("num_trades", [1, 0, 0]).cast(pl.Int64),
    pl.Series("fees", [0.5, 0, 0]),
  ]);
  const s = statisticsFromMetrics(metrics);
  const direct = computeStatistics({
    pnl: [1, -2, 3],
    netWealth: [101, 99, 102],
    gmv: [50, 50, 50],
    grossVolume: [50, 0, 0],
    numTrades: [1, 0, 0],
    fees: [0.5, 0, 0],
    timestamp: ts,
  }, { barMs: 300_000 });
  assert.deepEqual(s, direct);
  assert.equal(s.bar_ms, 300_000);
  assert.equal(s.start, ts[0]);
  assert.equal(s.initial_cash, 100);
  assert.throws(() => statisticsFromMetrics(metrics.drop("pnl")), DataError);
  assert.throws(() => statisticsFromMetrics(metrics.slice(0, 1)), UsageError);
  assert.equal(statisticsFromMetrics(metrics.slice(0, 1), { barMs: 300_000 }).bars, 1);
});
