import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { Config } from "../config/mod.ts";
import { UsageError } from "../errors/mod.ts";
import {
  readSystemLogRunOutput,
  recomputeResearchPortfolio,
  SYSTEM_LOG_FILES,
} from "../report/mod.ts";
import { readBars } from "../sim/mod.ts";
import { _BAR_MS, _floats, _testSystem } from "./_test_system.ts";
import { CsvStream } from "./csv_stream.ts";
import { PORTFOLIO_VALUE_FILES, SYSTEM_LOG_PATHS, SystemLog } from "./system_log.ts";
import type { SystemBar } from "./trading_system.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Replays the test system into a SystemLog in `dir`; returns the bars and the log (open). */
async function replay(
  dir: string,
): Promise<{ bars: SystemBar[]; log: SystemLog; loadStart: number }> {
  const log = await SystemLog.create(dir, { barMs: _BAR_MS, syncEveryBars: 50 });
  const bars: SystemBar[] = [];
  let loadStart = 0;
  const t = await _testSystem({
    fill: "close",
    onBar: async (bar) => {
      bars.push(bar);
      const from = bar.index === 1 ? loadStart : bar.timestamp - _BAR_MS;
      await log.writeBar(bar, { bars: t.marketData.getData(from, bar.timestamp) });
    },
  });
  loadStart = t.firstBar - 150 * _BAR_MS;
  await t.system.run({ runTasks: (main) => t.clock.run(main) });
  return { bars, log, loadStart };
}

Deno.test("SystemLog streams every bar; the streams hold every complete bar before consolidation", async () => {
  await inTemp(async (dir) => {
    const { bars, log } = await replay(dir);
    assert.equal(log.barsWritten, bars.length);
    await log.close();
    // What a reader finds after a crash: the CSV streams, readable as they are.
    const stats = pl.readCSV(join(dir, "process_forecasts/portfolio/statistics.csv"));
    assert.equal(stats.height, bars.length);
    const positions = pl.readCSV(join(dir, "process_forecasts/portfolio/positions.csv"));
    assert.equal(positions.height, bars.length * 3);
    const fills = pl.readCSV(join(dir, "process_forecasts/fills.csv"));
    assert.equal(fills.height, bars.reduce((n, b) => n + b.oms.fills.length, 0));
    assert.equal(
      pl.readCSV(join(dir, "dag/profiling.csv")).height,
      0,
      "no DAG timer in this system: no timings",
    );
  });
});

Deno.test("SystemLog.consolidate() writes the Parquet outputs, drops a partial bar and removes the streams", async () => {
  await inTemp(async (dir) => {
    const { bars, log, loadStart } = await replay(dir);
    const last = bars[bars.length - 1] as SystemBar;
    // A bar in flight when the process died: some of its rows, no statistics line.
    const extra = new Date(last.timestamp + _BAR_MS).toISOString();
    await Deno.writeTextFile(
      join(dir, "process_forecasts/portfolio/positions.csv"),
      `${extra},1467591036,1,1,0,0,0,0,1\n`,
      { append: true },
    );
    const { statistics, files } = await log.consolidate();
    assert.ok(files.includes(SYSTEM_LOG_PATHS.statistics));
    assert.equal(statistics.height, bars.length);
    assert.deepEqual(
      _floats(statistics, "net_wealth"),
      Float64Array.from(bars, (b) => b.oms.portfolio.statistics.netWealth),
    );
    assert.deepEqual(
      Array.from(_floats(statistics, "timestamp")),
      bars.map((b) => b.timestamp),
    );
    const positions = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.positions));
    assert.equal(positions.height, bars.length * 3, "the partial bar is dropped");
    for (const name of PORTFOLIO_VALUE_FILES) {
      const df = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.portfolio, `${name}.parquet`));
      assert.deepEqual(df.columns, ["timestamp", "asset_id", name]);
      assert.deepEqual(_floats(df, name), _floats(positions, name));
    }
    const holdings = _floats(positions, "holdings_shares");
    const expected = bars.flatMap((b) => b.oms.portfolio.assets.map((a) => a.holdingsShares));
    assert.deepEqual(Array.from(holdings), expected);
    // Orders with their final states; fills; the forecasts as the DAG gave them.
    const orders = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.orders));
    const all = bars.flatMap((b) => b.oms.orders);
    assert.deepEqual(orders.getColumn("final_state").toArray(), all.map((o) => o.state));
    const forecasts = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.forecasts));
    assert.ok(forecasts.frameEqual(pl.concat(bars.map((b) => b.forecasts)), true));
    const fills = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.fills));
    assert.equal(fills.height, bars.reduce((n, b) => n + b.oms.fills.length, 0));
    // The received bars became a store: the warm-up window and every bar of the run.
    const received = await readBars(join(dir, SYSTEM_LOG_PATHS.marketData));
    assert.equal(received.height, (149 + bars.length) * 3, "149 warm-up bars, then the run");
    assert.equal(_floats(received, "timestamp")[0], loadStart + _BAR_MS);
    for (const stream of ["process_forecasts/portfolio/statistics.csv", "market_data/bars.csv"]) {
      await assert.rejects(Deno.stat(join(dir, stream)), Deno.errors.NotFound);
    }
    await assert.rejects(log.writeBar(last), UsageError);
  });
});

Deno.test("SystemLog output is read by the report: metrics, positions, and the research portfolio recomputed from its forecasts", async () => {
  await inTemp(async (dir) => {
    const { bars, log } = await replay(dir);
    await log.writeRunInfo({ mode: "simulate", bar_ms: _BAR_MS, status: "completed" });
    const config = Config.fromObject({
      backtest: { style: "signal", sizing: "equity", fill: "close", fee_bps: 10 },
    });
    await log.writeConfig("input", config);
    await log.writeConfig("output", config);
    const { statistics } = await log.consolidate();
    // The file names are the report's.
    assert.equal(SYSTEM_LOG_PATHS.statistics, SYSTEM_LOG_FILES.statistics);
    assert.equal(SYSTEM_LOG_PATHS.targetPositions, SYSTEM_LOG_FILES.targetPositions);
    assert.equal(SYSTEM_LOG_PATHS.fills, SYSTEM_LOG_FILES.fills);
    assert.equal(SYSTEM_LOG_PATHS.orders, SYSTEM_LOG_FILES.orders);
    assert.equal(SYSTEM_LOG_PATHS.profiling, SYSTEM_LOG_FILES.profiling);
    assert.equal(SYSTEM_LOG_PATHS.runJson, SYSTEM_LOG_FILES.runJson);
    const run = await readSystemLogRunOutput(dir);
    assert.equal(run.barMs, _BAR_MS);
    const metrics = await run.metrics();
    assert.deepEqual(_floats(metrics, "pnl"), _floats(statistics, "pnl"));
    const positions = await run.positions();
    assert.ok(positions !== undefined && positions.height === bars.length * 3);
    const research = await recomputeResearchPortfolio(run);
    assert.deepEqual(_floats(research.metrics, "net_wealth"), _floats(statistics, "net_wealth"));
  });
});

Deno.test("SystemLog refuses bars out of order and bad options", async () => {
  await inTemp(async (dir) => {
    await assert.rejects(SystemLog.create(dir, { barMs: 0 }), UsageError);
    await assert.rejects(SystemLog.create(dir, { barMs: 1, syncEveryBars: -1 }), UsageError);
    const { bars, log } = await replay(dir);
    await assert.rejects(log.writeBar(bars[0] as SystemBar), /not after the last bar/);
    await log.close();
    const stats = CsvStream.read(join(dir, "process_forecasts/portfolio/statistics.csv"), [
      { name: "timestamp", dtype: pl.Datetime("ms", "UTC") },
    ]);
    assert.equal(stats.height, bars.length);
  });
});
