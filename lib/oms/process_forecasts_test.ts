import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { buildFittedDag, FitPredictRunner, getBuilder } from "../dag/mod.ts";
import { DataError, FuturePeekingError, TimeoutError } from "../errors/mod.ts";
import {
  type Column,
  ColumnFrame,
  f64Column,
  i64Column,
  strColumn,
  timeColumn,
} from "../frame/mod.ts";
import { FrameMarketData, readBars, ReplayedClock, Scheduler } from "../sim/mod.ts";
import { evaluateForecasts } from "./forecast_evaluator.ts";
import type { FillConvention } from "./fill_prices.ts";
import { IdCounter } from "./id_counter.ts";
import { Optimizer } from "./optimizer.ts";
import { Portfolio } from "./portfolio.ts";
import {
  type ForecastColumns,
  processForecasts,
  type ProcessForecastsBar,
  type ProcessForecastsContext,
} from "./process_forecasts.ts";
import { SimulatedBroker } from "./simulated_broker.ts";
import type { Sizing, TargetStyle } from "./target_positions.ts";
import { _bars, _random } from "./_test_bars.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const BAR_MS = 300_000;

/** Two days of 3 assets of the fixture, and the sma_cross DAG's forecasts over them. */
async function fixture(): Promise<
  { bars: pl.DataFrame; forecasts: pl.DataFrame; columns: ForecastColumns }
> {
  const bars = await readBars(FIXTURE, {
    symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
    end: Date.UTC(2025, 0, 8),
  });
  const builder = getBuilder("sma_cross");
  const config = builder.configTemplate();
  const dag = buildFittedDag(builder, config, { bars });
  const runner = new FitPredictRunner(dag, { bars, lookbackBars: builder.lookbackBars(config) });
  const ts = bars.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
  const forecasts = runner.predict((ts[0] as number) - 1, ts[ts.length - 1] as number);
  return { bars, forecasts, columns: builder.columnNames(config) };
}

interface RunSettings {
  style: TargetStyle;
  sizing: Sizing;
  fill: FillConvention;
  feeBps: number;
  decimals?: number;
  barMs?: number;
  /** Hand each bar's rows over as a `ColumnFrame`. */
  columnFrames?: boolean;
}

/** The OMS path: a Scheduler on a ReplayedClock calls processForecasts once per bar. */
async function runOms(
  bars: pl.DataFrame,
  forecasts: pl.DataFrame,
  columns: ForecastColumns,
  s: RunSettings,
): Promise<ProcessForecastsBar[]> {
  const times = forecasts.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
  const byBar = new Map<number, pl.DataFrame | ColumnFrame>();
  for (let i = 0; i < times.length;) {
    let j = i;
    while (j < times.length && times[j] === times[i]) j++;
    const rows = forecasts.slice(i, j - i);
    byBar.set(times[i] as number, s.columnFrames ? ColumnFrame.fromPolars(rows) : rows);
    i = j;
  }
  const grid = [...byBar.keys()];
  const barMs = s.barMs ?? BAR_MS;
  const clock = new ReplayedClock(grid[0] as number);
  const marketData = new FrameMarketData(bars, clock, { barMs });
  const portfolio = new Portfolio({ initialCash: 10_000 });
  const optimizer = new Optimizer({
    style: s.style,
    sizing: s.sizing,
    targetGmv: 10_000,
    feeBps: s.feeBps,
    decimals: s.decimals,
    orderType: s.fill,
  });
  const broker = new SimulatedBroker(marketData, {
    feeBps: s.feeBps,
    sizer: optimizer.atFillSizer(portfolio),
  });
  const context: ProcessForecastsContext = {
    marketData,
    broker,
    portfolio,
    optimizer,
    orderIds: new IdCounter(),
    columns,
  };
  const out: ProcessForecastsBar[] = [];
  const scheduler = new Scheduler(clock);
  scheduler.every(barMs, async (t) => {
    out.push(await processForecasts(t, byBar.get(t) as pl.DataFrame | ColumnFrame, context));
  }, { phase: "forecasts", start: grid[0] as number, end: grid[grid.length - 1] as number });
  await clock.run(() => scheduler.run());
  return out;
}

function floats(df: pl.DataFrame, name: string): Float64Array {
  return df.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
}

function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

const RUNS: RunSettings[] = [
  { style: "signal", sizing: "equity", fill: "close", feeBps: 10 },
  { style: "signal", sizing: "equity", fill: "next_open", feeBps: 10 },
  { style: "signal", sizing: "equity", fill: "twap", feeBps: 10 },
  { style: "signal", sizing: "gmv", fill: "close", feeBps: 10 },
  { style: "signal", sizing: "gmv", fill: "next_open", feeBps: 10 },
  { style: "signal", sizing: "gmv", fill: "twap", feeBps: 10 },
  { style: "cross_sectional", sizing: "equity", fill: "next_open", feeBps: 10 },
  { style: "longitudinal", sizing: "gmv", fill: "next_close", feeBps: 5, decimals: 4 },
  { style: "longitudinal", sizing: "equity", fill: "vwap", feeBps: 0, decimals: 3 },
];

Deno.test("processForecasts() + SimulatedBroker + Portfolio equal the forecast evaluator bar for bar", async () => {
  const { bars, forecasts, columns } = await fixture();
  const nA = 3;
  for (const s of RUNS) {
    const label = `${s.style}/${s.sizing}/${s.fill}/${s.feeBps}bps`;
    const research = evaluateForecasts(forecasts, bars, {
      priceCol: columns.price,
      volatilityCol: columns.volatility,
      predictionCol: columns.prediction,
      style: s.style,
      sizing: s.sizing,
      fill: s.fill,
      feeBps: s.feeBps,
      decimals: s.decimals,
      initialCash: 10_000,
      targetGmv: 10_000,
    });
    const oms = await runOms(bars, forecasts, columns, s);
    const metrics = research.metrics;
    assert.equal(oms.length, metrics.height, label);
    const fields = [
      ["pnl", "pnl"],
      ["cash", "cash"],
      ["fees", "fees"],
      ["net_wealth", "netWealth"],
      ["gross_volume", "grossVolume"],
      ["gmv", "gmv"],
      ["num_trades", "numTrades"],
    ] as const;
    for (const [column, key] of fields) {
      const expected = floats(metrics, column);
      oms.forEach((bar, k) => {
        const actual = bar.portfolio.statistics[key];
        assert.ok(
          same(actual, expected[k] as number),
          `${label} bar ${k} ${column}: ${actual} vs ${expected[k]}`,
        );
      });
    }
    const holdings = floats(research.positions, "holdings_shares");
    const pnl = floats(research.positions, "pnl");
    const ids = floats(research.positions, "asset_id");
    oms.forEach((bar, k) => {
      assert.equal(bar.portfolio.assets.length, nA);
      bar.portfolio.assets.forEach((row, a) => {
        const i = k * nA + a;
        assert.equal(row.assetId, ids[i]);
        assert.ok(same(row.holdingsShares, holdings[i] as number), `${label} bar ${k} holdings`);
        assert.ok(same(row.pnl, pnl[i] as number), `${label} bar ${k} pnl`);
      });
    });
    const trades = metrics.getColumn("num_trades").sum() as number;
    assert.ok(trades > 100, `${label}: the run trades (${trades} trades)`);
    const filled = oms.reduce((n, bar) => n + bar.fills.length, 0);
    assert.equal(filled, trades, `${label}: one fill per trade`);
  }
});

// --- behaviour on small frames ---

const M = 60_000;
const T0 = Date.UTC(2025, 0, 6);
/** The forecast columns of the small tests. */
const COLUMNS: ForecastColumns = { price: "close", volatility: "vol", prediction: "prediction" };

/** Forecast rows of the small tests, column by column. */
interface ForecastRows {
  times: number[];
  ids: number[];
  prices: number[];
  predictions: (number | null)[];
}

/** `rows` as a forecasts frame: `timestamp` Datetime(ms, UTC), `asset_id` Int64, Float64 values. */
function forecastFrame(rows: ForecastRows): pl.DataFrame {
  return pl.DataFrame([
    pl.Series("timestamp", rows.times).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
    pl.Series("asset_id", rows.ids, pl.Int64),
    pl.Series("close", rows.prices, pl.Float64),
    pl.Series("prediction", rows.predictions, pl.Float64),
  ]);
}

/**
 * Assets 1 (≈ 100) and 2 (≈ 20) over `count` one-minute bars, random from `seed`: their bars
 * (none where `gap(k, id)`, at bar `k` = 1 … `count`) and a forecast row per asset and bar —
 * the close (NaN in a gap) and a prediction in halves from −1 to 1, null about one time in ten.
 */
function twoAssets(
  seed: number,
  count: number,
  gap: (k: number, id: number) => boolean = () => false,
): ForecastRows & { bars: pl.DataFrame } {
  const rand = _random(seed);
  const rows = [];
  const out: ForecastRows = { times: [], ids: [], prices: [], predictions: [] };
  for (let k = 1; k <= count; k++) {
    const t = T0 + k * M;
    for (const id of [1, 2]) {
      const c = (id === 1 ? 100 : 20) * (1 + (rand() - 0.5) * 0.02);
      const missing = gap(k, id);
      if (!missing) rows.push({ t, id, o: c * 1.001, h: c * 1.01, l: c * 0.99, c });
      out.times.push(t);
      out.ids.push(id);
      out.prices.push(missing ? NaN : c);
      out.predictions.push(rand() < 0.1 ? null : Math.round(rand() * 4 - 2) / 2);
    }
  }
  return { ...out, bars: _bars(rows, { barMs: M, delayMs: 2_000 }) };
}

/** What the small tests compare of a run: per bar, wealth, targets, orders and fills. */
function summary(out: ProcessForecastsBar[]) {
  return out.map((bar) => ({
    t: bar.timestamp,
    wealth: bar.portfolio.statistics.netWealth,
    targets: bar.targets.map((r) => [r.assetId, r.price, r.prediction, r.targetHoldingsShares]),
    orders: bar.orders.map((o) => [o.assetId, o.diffShares, o.targetWeight, o.state]),
    fills: bar.fills.map((f) => [f.assetId, f.shares, f.price]),
  }));
}

function smallSetup() {
  const rows = [];
  for (let k = 1; k <= 4; k++) {
    rows.push({ t: T0 + k * M, id: 1, o: 10 + k, h: 12 + k, l: 9 + k, c: 11 + k });
  }
  const bars = _bars(rows, { barMs: M, delayMs: 5_000 });
  const clock = new ReplayedClock(T0);
  const marketData = new FrameMarketData(bars, clock, { barMs: M });
  const portfolio = new Portfolio({ initialCash: 100 });
  const optimizer = new Optimizer({ style: "signal", sizing: "equity", orderType: "next_open" });
  const broker = new SimulatedBroker(marketData, { sizer: optimizer.atFillSizer(portfolio) });
  const written: ProcessForecastsBar[] = [];
  const context: ProcessForecastsContext = {
    marketData,
    broker,
    portfolio,
    optimizer,
    orderIds: new IdCounter(),
    columns: COLUMNS,
    sink: { writeBar: (bar) => void written.push(bar) },
  };
  const forecasts = (times: number[], prediction = 1) =>
    pl.DataFrame([
      pl.Series("timestamp", times).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
      pl.Series("asset_id", times.map(() => 1), pl.Int64),
      pl.Series("close", times.map(() => 11), pl.Float64),
      pl.Series("prediction", times.map(() => prediction), pl.Float64),
    ]);
  return { clock, context, written, forecasts };
}

Deno.test("processForecasts() waits for the bar, trades at the next open, logs to the sink", async () => {
  const { clock, context, written, forecasts } = smallSetup();
  await clock.run(async () => {
    const first = await processForecasts(T0 + M, forecasts([T0, T0 + M]), context);
    assert.equal(clock.now(), T0 + M + 5_000, "waited until bar 1 was known");
    assert.equal(first.wallTime, T0 + M + 5_000);
    assert.equal(first.orders.length, 1);
    const order = first.orders[0]!;
    assert.deepEqual([order.startTimestamp, order.endTimestamp, order.targetWeight, order.state], [
      T0 + M + 5_000,
      T0 + 2 * M,
      1,
      "accepted",
    ]);
    assert.deepEqual(first.fills, []);
    const second = await processForecasts(T0 + 2 * M, forecasts([T0 + 2 * M]), context);
    assert.equal(second.fills.length, 1);
    const fill = second.fills[0]!;
    assert.deepEqual([fill.orderId, fill.price, fill.shares], [order.id, 12, 100 / 12]);
    assert.equal(order.state, "filled");
    assert.equal(second.portfolio.statistics.netWealth, 100 / 12 * 13);
    assert.deepEqual(second.targets.map((r) => r.targetHoldingsShares), [100 / 12]);
  });
  assert.deepEqual(written.map((bar) => bar.timestamp), [T0 + M, T0 + 2 * M]);
});

Deno.test("processForecasts() refuses future rows, missing columns and a late bar", async () => {
  const { clock, context, forecasts } = smallSetup();
  await clock.run(async () => {
    await assert.rejects(
      () => processForecasts(T0 + M, forecasts([T0 + M, T0 + 2 * M]), context),
      FuturePeekingError,
    );
    await assert.rejects(
      () => processForecasts(T0 + M, forecasts([T0 + M]).drop("close"), context),
      (error: unknown) => error instanceof DataError && /no column 'close'/.test(error.message),
    );
    await clock.sleepUntil(T0 + 3 * M);
    await assert.rejects(
      () => processForecasts(T0 + M, forecasts([T0 + M]), context),
      (error: unknown) => error instanceof TimeoutError && /too late/.test(error.message),
    );
  });
});

Deno.test("processForecasts() equals the forecast evaluator on bars with gaps", async () => {
  // Two assets, 60 one-minute bars; asset 2 misses every 7th bar, asset 1 every 11th.
  const rand = _random(99);
  const rows = [];
  const times: number[] = [];
  const ids: number[] = [];
  const prices: number[] = [];
  const predictions: number[] = [];
  let p1 = 100;
  let p2 = 20;
  for (let k = 1; k <= 60; k++) {
    const t = T0 + k * M;
    p1 *= 1 + (rand() - 0.5) * 0.02;
    p2 *= 1 + (rand() - 0.5) * 0.04;
    for (const [id, p, gap] of [[1, p1, k % 11 === 0], [2, p2, k % 7 === 0]] as const) {
      const o = p * (1 + (rand() - 0.5) * 0.01);
      if (!gap) rows.push({ t, id, o, h: Math.max(o, p) * 1.01, l: Math.min(o, p) * 0.99, c: p });
      times.push(t);
      ids.push(id);
      prices.push(gap ? NaN : p);
      predictions.push(rand() < 0.1 ? NaN : Math.round(rand() * 4 - 2) / 2);
    }
  }
  const bars = _bars(rows, { barMs: M, delayMs: 2_000 });
  const forecasts = forecastFrame({ times, ids, prices, predictions });
  for (const sizing of ["equity", "gmv"] as const) {
    for (const fill of ["close", "next_open", "twap"] as const) {
      const research = evaluateForecasts(forecasts, bars, {
        priceCol: "close",
        volatilityCol: "vol",
        predictionCol: "prediction",
        style: "signal",
        sizing,
        fill,
        feeBps: 10,
      });
      const oms = await runOms(bars, forecasts, COLUMNS, {
        style: "signal",
        sizing,
        fill,
        feeBps: 10,
        barMs: M,
      });
      const wealth = floats(research.metrics, "net_wealth");
      const holdings = floats(research.positions, "holdings_shares");
      assert.equal(oms.length, 60);
      oms.forEach((bar, k) => {
        const label = `${sizing}/${fill} bar ${k}`;
        assert.ok(same(bar.portfolio.statistics.netWealth, wealth[k] as number), label);
        bar.portfolio.assets.forEach((row, a) => {
          assert.ok(same(row.holdingsShares, holdings[2 * k + a] as number), label);
        });
      });
      const cancelled = oms.flatMap((bar) => bar.orders).filter((o) => o.state === "cancelled");
      assert.ok(cancelled.length > 0, `${sizing}/${fill}: some orders meet a gap`);
    }
  }
});

Deno.test("processForecasts() reads nulls as NaN and other column types as their Float64 casts", async () => {
  // Two assets, 30 one-minute bars; ~10% of the predictions are missing.
  const { bars, ...rows } = twoAssets(7, 30);
  // Reference: NaN for a missing prediction, every column of the contract's type.
  const reference = forecastFrame({ ...rows, predictions: rows.predictions.map((p) => p ?? NaN) });
  const withNulls = forecastFrame(rows);
  const otherTypes = withNulls.withColumns(
    pl.col("asset_id").cast(pl.Int32),
    pl.col("prediction").cast(pl.Float32),
  );
  const settings = { style: "signal", sizing: "equity", fill: "next_open", feeBps: 10, barMs: M };
  const run = (f: pl.DataFrame) => runOms(bars, f, COLUMNS, settings as RunSettings);
  const expected = await run(reference);
  assert.ok(expected.some((bar) => bar.targets.some((r) => Number.isNaN(r.prediction))));
  assert.deepEqual(summary(await run(withNulls)), summary(expected));
  assert.deepEqual(summary(await run(otherTypes)), summary(expected));

  // Times in µs are read as ms (the bar's row is found; a later one is future peeking).
  const small = smallSetup();
  const us = (ts: number[]) =>
    small.forecasts(ts).withColumns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")));
  await small.clock.run(async () => {
    await assert.rejects(
      () => processForecasts(T0 + M, us([T0 + M, T0 + 2 * M]), small.context),
      FuturePeekingError,
    );
    const bar = await processForecasts(T0 + M, us([T0, T0 + M]), small.context);
    assert.deepEqual(bar.targets.map((r) => [r.assetId, r.prediction]), [[1, 1]]);
  });
});

Deno.test("processForecasts() reads a ColumnFrame as its Polars form, and refuses the same rows", async () => {
  // The gaps and missing predictions of the evaluator test: NaN prices and predictions.
  const { bars, ...rows } = twoAssets(5, 40, (k, id) => (k + id) % 9 === 0);
  const forecasts = forecastFrame(rows);
  for (const sizing of ["equity", "gmv"] as const) {
    const settings: RunSettings = {
      style: "signal",
      sizing,
      fill: "next_open",
      feeBps: 10,
      barMs: M,
    };
    const expected = summary(await runOms(bars, forecasts, COLUMNS, settings));
    assert.ok(expected.some((bar) => bar.targets.some((r) => Number.isNaN(r[2] as number))));
    assert.ok(expected.some((bar) => bar.fills.length > 0));
    const got = summary(
      await runOms(bars, forecasts, COLUMNS, { ...settings, columnFrames: true }),
    );
    assert.deepEqual(got, expected, sizing);
  }

  // The refusals of a Polars frame.
  const { clock, context } = smallSetup();
  const frame = (
    ts: number[],
    id = ts.map(() => 1),
    prediction: Column = f64Column(new Float64Array(ts.length).fill(1)),
  ) =>
    new ColumnFrame([
      ["timestamp", timeColumn(Float64Array.from(ts))],
      ["asset_id", i64Column(Float64Array.from(id))],
      ["close", f64Column(new Float64Array(ts.length).fill(11))],
      ["prediction", prediction],
    ]);
  await clock.run(async () => {
    await assert.rejects(
      () => processForecasts(T0 + M, frame([T0 + M, T0 + 2 * M]), context),
      FuturePeekingError,
    );
    await assert.rejects(
      () =>
        processForecasts(
          T0 + M,
          frame([T0 + M]).select(["timestamp", "asset_id", "prediction"]),
          context,
        ),
      (error: unknown) => error instanceof DataError && /no column 'close'/.test(error.message),
    );
    for (const [ts, id] of [[[T0 + M, NaN], [1, 2]], [[T0 + M, T0 + M], [1, NaN]]] as const) {
      await assert.rejects(
        () => processForecasts(T0 + M, frame([...ts], [...id]), context),
        (error: unknown) => error instanceof DataError && /has nulls/.test(error.message),
      );
    }
    await assert.rejects(
      () => processForecasts(T0 + M, frame([T0 + M], [1], strColumn(["1"])), context),
      (error: unknown) => error instanceof DataError && /as numbers/.test(error.message),
    );
    const bar = await processForecasts(T0 + M, frame([T0, T0 + M]), context);
    assert.deepEqual(bar.targets.map((r) => [r.assetId, r.prediction]), [[1, 1]]);
  });
});
