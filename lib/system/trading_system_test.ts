import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { _BAR_MS, _floats, _testSystem } from "./_test_system.ts";
import type { SystemBar } from "./trading_system.ts";

Deno.test("TradingSystem.run() processes every bar when it is known and equals the forecast evaluator", async () => {
  for (const fill of ["close", "next_open"] as const) {
    const bars: SystemBar[] = [];
    const known: number[] = [];
    const t = await _testSystem({
      fill,
      onBar: (bar) => {
        bars.push(bar);
        known.push(t.clock.now());
      },
    });
    const result = await t.system.run({ runTasks: (main) => t.clock.run(main) });
    assert.equal(result.interrupted, false);
    assert.equal(result.barsProcessed, t.system.barsTotal);
    assert.equal(result.lastBar, t.lastBar);
    assert.equal(bars.length, 144);
    bars.forEach((bar, i) => {
      assert.equal(bar.index, i + 1);
      assert.equal(bar.timestamp, t.firstBar + i * _BAR_MS);
      // Processed at the bar's knowledge time (bar end + 10 s in the fixture), never before.
      assert.equal(known[i], bar.timestamp + 10_000);
      assert.equal(bar.forecasts.height, 3);
      assert.ok(bar.dagTimings.length === 0, "no timer: no timings");
    });
    const research = t.research();
    const pnl = _floats(research.metrics, "pnl");
    const wealth = _floats(research.metrics, "net_wealth");
    const trades = _floats(research.metrics, "num_trades");
    assert.equal(pnl.length, bars.length);
    bars.forEach((bar, i) => {
      const s = bar.oms.portfolio.statistics;
      assert.equal(s.pnl, pnl[i], `${fill} bar ${i} pnl`);
      assert.equal(s.netWealth, wealth[i], `${fill} bar ${i} net wealth`);
      assert.equal(s.numTrades, trades[i], `${fill} bar ${i} trades`);
    });
    assert.ok(trades.reduce((a, b) => a + b, 0) > 10, "the window trades");
  }
});

Deno.test("TradingSystem.run() stops after the bar in flight when the signal aborts", async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  const t = await _testSystem({
    onBar: (bar) => {
      seen.push(bar.index);
      // Aborting while bar 5 is in flight: bar 5 completes, bar 6 never starts.
      if (bar.index === 5) controller.abort();
    },
  });
  const result = await t.system.run({
    signal: controller.signal,
    runTasks: (main) => t.clock.run(main),
  });
  assert.deepEqual(result, {
    barsProcessed: 5,
    lastBar: t.firstBar + 4 * _BAR_MS,
    interrupted: true,
  });
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(t.portfolio.lastTimestamp, t.firstBar + 4 * _BAR_MS);
});

Deno.test("TradingSystem.run() with an already aborted signal processes no bar", async () => {
  const controller = new AbortController();
  controller.abort();
  const t = await _testSystem();
  const result = await t.system.run({
    signal: controller.signal,
    runTasks: (main) => t.clock.run(main),
  });
  assert.deepEqual(result, { barsProcessed: 0, lastBar: undefined, interrupted: true });
});

Deno.test("TradingSystem rejects an empty or off-grid bar range", async () => {
  const t = await _testSystem();
  const base = {
    marketData: t.marketData,
    runner: t.system.runner,
    oms: {} as never,
  };
  const { TradingSystem } = await import("./trading_system.ts");
  assert.throws(
    () => new TradingSystem({ ...base, firstBar: t.lastBar, lastBar: t.firstBar }),
    UsageError,
  );
  assert.throws(
    () => new TradingSystem({ ...base, firstBar: t.firstBar, lastBar: t.firstBar + 1 }),
    /not on the bar grid/,
  );
});
