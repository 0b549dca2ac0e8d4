import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { Config } from "../config/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { ColumnFrame, f64Column, i64Column, strColumn, timeColumn } from "../frame/mod.ts";
import {
  readSystemLogRunOutput,
  recomputeResearchPortfolio,
  SYSTEM_LOG_FILES,
} from "../report/mod.ts";
import { readBars } from "../sim/mod.ts";
import { _BAR_MS, _floats, _testSystem } from "./_test_system.ts";
import { CSV_DATETIME_FORMAT, CsvStream } from "./csv_stream.ts";
import {
  PORTFOLIO_VALUE_FILES,
  SYSTEM_LOG_PATHS,
  SystemLog,
  type SystemLogBar,
} from "./system_log.ts";
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
    assert.ok(forecasts.frameEqual(pl.concat(bars.map((b) => b.forecasts.toPolars())), true));
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

Deno.test("SystemLog.create({resume}) continues a killed or a consolidated session: the final files hold every bar", async () => {
  const bars: SystemBar[] = [];
  const t = await _testSystem({ fill: "close", onBar: (bar) => void bars.push(bar) });
  await t.system.run({ runTasks: (main) => t.clock.run(main) });
  const half = Math.floor(bars.length / 2);
  const write = async (log: SystemLog, part: SystemBar[]) => {
    for (const bar of part) {
      await log.writeBar(bar, {
        bars: t.marketData.getData(bar.timestamp - _BAR_MS, bar.timestamp),
      });
    }
  };
  await inTemp(async (root) => {
    const reference = join(root, "reference");
    await Deno.mkdir(reference);
    const one = await SystemLog.create(reference, { barMs: _BAR_MS });
    await write(one, bars);
    await one.consolidate();
    for (const how of ["killed", "consolidated"] as const) {
      const dir = join(root, how);
      await Deno.mkdir(dir);
      const first = await SystemLog.create(dir, { barMs: _BAR_MS });
      await write(first, bars.slice(0, half));
      if (how === "killed") {
        await first.close();
        // The bar in flight when the process was killed: rows without a statistics line.
        await Deno.writeTextFile(
          join(dir, "process_forecasts/fills.csv"),
          `${new Date((bars[half] as SystemBar).timestamp).toISOString()},999,1,1,` +
            `${new Date((bars[half] as SystemBar).timestamp).toISOString()},1,1,0\n`,
          { append: true },
        );
      } else {
        await first.consolidate();
      }
      const second = await SystemLog.create(dir, { barMs: _BAR_MS, resume: true });
      assert.equal(second.barsWritten, half, how);
      assert.equal(second.lastCompleteBar, (bars[half - 1] as SystemBar).timestamp, how);
      await write(second, bars.slice(half));
      await second.consolidate();
      for (
        const file of [
          SYSTEM_LOG_PATHS.statistics,
          SYSTEM_LOG_PATHS.positions,
          SYSTEM_LOG_PATHS.targetPositions,
          SYSTEM_LOG_PATHS.orders,
          SYSTEM_LOG_PATHS.fills,
          SYSTEM_LOG_PATHS.forecasts,
        ]
      ) {
        const got = pl.readParquet(join(dir, file));
        const want = pl.readParquet(join(reference, file));
        assert.ok(got.frameEqual(want, true), `${how}: ${file}\n${got.tail(3)}\n${want.tail(3)}`);
      }
      const received = await readBars(join(dir, SYSTEM_LOG_PATHS.marketData));
      assert.equal(received.height, bars.length * 3, `${how}: received bars`);
    }
  });
});

const T = Date.UTC(2025, 0, 8);

/** Bar `k` after `T` with `forecasts` and nothing else (no orders, no fills, no assets). */
function logBar(k: number, forecasts: pl.DataFrame | ColumnFrame): SystemLogBar {
  const t = T + k * _BAR_MS;
  const statistics = {
    timestamp: t,
    pnl: 0,
    grossVolume: 0,
    netVolume: 0,
    gmv: 0,
    nmv: 0,
    fees: 0,
    cash: 1,
    netWealth: 1,
    leverage: 0,
    numTrades: 0,
  };
  return {
    timestamp: t,
    forecasts,
    dagTimings: [],
    oms: {
      timestamp: t,
      wallTime: t,
      targets: [],
      orders: [],
      fills: [],
      portfolio: { statistics, assets: [], state: { timestamp: t, cash: 1, positions: [] } },
    },
  };
}

Deno.test("SystemLog writes the forecasts and bars it formats itself exactly as Polars' writer would", async () => {
  const frame = (k: number, values: {
    x?: (number | null)[];
    s?: (string | null)[];
    id?: number[];
    t0?: number;
  }) => {
    const t = T + k * _BAR_MS;
    const x = values.x ?? [1.5, 2];
    return pl.DataFrame([
      pl.Series("timestamp", x.map(() => t)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
      pl.Series("start", x.map(() => values.t0 ?? t - _BAR_MS)).cast(pl.Int64)
        .cast(pl.Datetime("ms", "UTC")),
      pl.Series("asset_id", values.id ?? x.map((_, i) => 1467591036 + i), pl.Int64),
      pl.Series("symbol", values.s ?? x.map(() => "binance::BTC_USDT"), pl.Utf8),
      pl.Series("x", x, pl.Float64),
      pl.Series("n", x.map((_, i) => i), pl.Int32),
    ]);
  };
  const frames = [
    // Formatted here: special doubles, nulls, text that needs quoting.
    frame(1, {
      x: [NaN, Infinity, -Infinity, -0, null, 5e-324, 0.1 + 0.2, 1e21, -1e-7, 123456789.125],
      s: ["a,b", 'say "hi"', "two\nlines", null, "ok", "x", "y", "z", "w", "v"],
    }),
    // Through Polars' writer: an empty string, an integer past 2^53, a time before 1970.
    frame(2, { s: ["", "ok"] }),
    frame(3, { id: [2 ** 53 + 2, 1] }),
    frame(4, { t0: -86_400_000 }),
    frame(5, {}),
  ];
  await inTemp(async (dir) => {
    const log = await SystemLog.create(dir, { barMs: _BAR_MS });
    for (const [i, f] of frames.entries()) {
      await log.writeBar(logBar(i + 1, f), { bars: undefined });
    }
    await log.consolidate();
    const written = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.forecasts));
    // What the streams gave when Polars' writer wrote every bar.
    const columns = frames[0]!.columns.map((name) => ({
      name,
      dtype: frames[0]!.getColumn(name).dtype,
    }));
    const path = join(dir, "polars.csv");
    const stream = await CsvStream.create(path, columns);
    for (const f of frames) {
      stream.append(
        f.writeCSV({ includeHeader: false, datetimeFormat: CSV_DATETIME_FORMAT }).toString(),
      );
    }
    stream.close();
    const expected = CsvStream.read(path, columns);
    assert.deepEqual(written.columns, expected.columns);
    assert.deepEqual(written.dtypes.map(String), expected.dtypes.map(String));
    for (const name of expected.columns) {
      const cell = (v: unknown) => (v instanceof Date ? v.getTime() : v);
      const a = written.getColumn(name).toArray().map(cell);
      const b = expected.getColumn(name).toArray().map(cell);
      assert.equal(a.length, b.length, name);
      a.forEach((v, i) => assert.ok(Object.is(v, b[i]), `${name} row ${i}: ${v} vs ${b[i]}`));
    }
    const x = written.getColumn("x").toArray().slice(0, 10);
    assert.ok(Object.is(x[3], -0) && Number.isNaN(x[0]) && x[4] === null, "values kept");
  });
});

Deno.test("SystemLog writes ColumnFrame forecasts and bars as it writes their Polars form (NaN = null)", async () => {
  const frame = (k: number, values: {
    x: number[];
    s?: (string | null)[];
    id?: number[];
    t0?: number;
  }) => {
    const t = T + k * _BAR_MS;
    const n = values.x.length;
    const times = (v: number) => timeColumn(new Float64Array(n).fill(v));
    return new ColumnFrame([
      ["timestamp", times(t)],
      ["start", times(values.t0 ?? t - _BAR_MS)],
      ["asset_id", i64Column(Float64Array.from(values.id ?? values.x.map((_, i) => 100 + i)))],
      ["symbol", strColumn(values.s ?? values.x.map(() => "binance::BTC_USDT"))],
      ["x", f64Column(Float64Array.from(values.x))],
    ]);
  };
  const frames = [
    // Formatted here: special doubles (NaN is a null), nulls, text that needs quoting.
    frame(1, {
      x: [NaN, Infinity, -Infinity, -0, 5e-324, 0.1 + 0.2, 1e21, -1e-7],
      s: ["a,b", 'say "hi"', "two\nlines", null, "ok", "x", "y", "z"],
      id: [1, 2, 3, 4, 5, 6, 7, NaN],
    }),
    // Through Polars' writer: an empty string, an integer past 2^53, a time before 1970.
    frame(2, { x: [1, 2], s: ["", "ok"] }),
    frame(3, { x: [1, 2], id: [2 ** 53 + 2, 1] }),
    frame(4, { x: [1, 2], t0: -86_400_000 }),
    frame(5, { x: [1.5, 2] }),
  ];
  const t = await _testSystem({ fill: "close" });
  const now = t.clock.now();
  const received = (k: number) =>
    t.marketData.getData(now - (6 - k) * _BAR_MS, now - (5 - k) * _BAR_MS);
  await inTemp(async (dir) => {
    const write = async (sub: string, asColumns: boolean) => {
      await Deno.mkdir(join(dir, sub));
      const log = await SystemLog.create(join(dir, sub), { barMs: _BAR_MS });
      for (const [i, f] of frames.entries()) {
        const bars = received(i);
        await log.writeBar(logBar(i + 1, asColumns ? f : f.toPolars()), {
          bars: asColumns ? ColumnFrame.fromPolars(bars) : bars,
        });
      }
      await log.consolidate();
    };
    await write("columns", true);
    await write("polars", false);
    const read = (sub: string) => pl.readParquet(join(dir, sub, SYSTEM_LOG_PATHS.forecasts));
    const got = read("columns");
    assert.equal(got.height, 8 + 4 * 2);
    assert.ok(got.frameEqual(read("polars"), true), `${got}\n${read("polars")}`);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(dir, "columns", "dag", "forecasts.columns.json"))),
      JSON.parse(await Deno.readTextFile(join(dir, "polars", "dag", "forecasts.columns.json"))),
    );
    const x = got.getColumn("x").toArray();
    assert.ok(x[0] === null && Object.is(x[3], -0) && x[1] === Infinity, "NaN is a null");
    const store = (sub: string) => readBars(join(dir, sub, SYSTEM_LOG_PATHS.marketData));
    const bars = await store("columns");
    assert.ok(bars.height > 0);
    assert.ok(bars.frameEqual(await store("polars"), true));
  });
});
