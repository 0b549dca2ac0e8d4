import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { readBars } from "../sim/mod.ts";
import {
  evaluateForecasts,
  type EvaluateForecastsOptions,
  METRIC_COLUMNS,
  POSITION_COLUMNS,
} from "./forecast_evaluator.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const BAR_MS = 300_000;
const T0 = Date.UTC(2025, 0, 6, 0, 5);

function times(ms: number[]): pl.Series {
  return pl.Series("timestamp", ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

function floats(frame: pl.DataFrame, column: string): Float64Array {
  return frame.getColumn(column).cast(pl.Float64).toTypedArray() as Float64Array;
}

/** 10/50 SMA crossover in plain JS: 1 when SMA10 > SMA50 at the bar's close, 0 before 50 bars. */
function smaCross(close: Float64Array): Float64Array {
  const out = new Float64Array(close.length);
  for (let i = 49; i < close.length; i++) {
    let fast = 0;
    let slow = 0;
    for (let k = i - 9; k <= i; k++) fast += close[k] as number;
    for (let k = i - 49; k <= i; k++) slow += close[k] as number;
    out[i] = fast / 10 > slow / 50 ? 1 : 0;
  }
  return out;
}

/**
 * An independent all-in/all-out backtest of a 0/1 signal: buy with all cash (net of the fee)
 * when the signal turns 1, sell everything when it turns 0; fill at close(t) or open(t+1).
 * Returns the net wealth after each bar, marked at the close, and the number of trades.
 */
function allInBacktest(
  signal: Float64Array,
  bars: { open: Float64Array; close: Float64Array },
  options: { fill: "close" | "next_open"; cash: number; feeBps: number },
): { wealth: Float64Array; trades: number } {
  const phi = options.feeBps / 1e4;
  let cash = options.cash;
  let units = 0;
  let trades = 0;
  const wealth = new Float64Array(signal.length);
  for (let t = 0; t < signal.length; t++) {
    const decision = options.fill === "close" ? t : t - 1;
    if (decision >= 0) {
      const price = (options.fill === "close" ? bars.close[t] : bars.open[t]) as number;
      if (signal[decision] === 1 && units === 0) {
        units = cash / (price * (1 + phi));
        cash = 0;
        trades++;
      } else if (signal[decision] === 0 && units !== 0) {
        cash += units * price * (1 - phi);
        units = 0;
        trades++;
      }
    }
    wealth[t] = cash + units * (bars.close[t] as number);
  }
  return { wealth, trades };
}

async function btcFixture(): Promise<{ bars: pl.DataFrame; forecasts: pl.DataFrame }> {
  const bars = await readBars(FIXTURE, { symbols: ["BTC/USDT"] });
  const close = floats(bars, "close");
  const forecasts = bars.select("timestamp", "asset_id", "close").withColumns(
    pl.Series("vol", new Float64Array(close.length).fill(0.01)),
    pl.Series("prediction", smaCross(close)),
  );
  return { bars, forecasts };
}

const SMA_OPTIONS: EvaluateForecastsOptions = {
  priceCol: "close",
  volatilityCol: "vol",
  predictionCol: "prediction",
  style: "signal",
  sizing: "equity",
  initialCash: 10_000,
};

Deno.test("evaluateForecasts() matches an independent all-in backtest on the BTC fixture", async () => {
  const { bars, forecasts } = await btcFixture();
  assert.equal(bars.height, 12_096);
  const signal = floats(forecasts, "prediction");
  const ohlc = { open: floats(bars, "open"), close: floats(bars, "close") };
  for (const fill of ["close", "next_open"] as const) {
    for (const feeBps of [0, 10]) {
      const { metrics } = evaluateForecasts(forecasts, bars, { ...SMA_OPTIONS, fill, feeBps });
      const expected = allInBacktest(signal, ohlc, { fill, cash: 10_000, feeBps });
      const wealth = floats(metrics, "net_wealth");
      assert.equal(wealth.length, expected.wealth.length);
      for (let t = 0; t < wealth.length; t++) {
        const relative = Math.abs((wealth[t] as number) / (expected.wealth[t] as number) - 1);
        assert.ok(
          relative <= 1e-9,
          `${fill} ${feeBps}bps bar ${t}: ${wealth[t]} vs ${expected.wealth[t]}`,
        );
      }
      assert.equal(metrics.getColumn("num_trades").sum(), expected.trades, `${fill} trades`);
      assert.ok(expected.trades > 50, "the fixture exercises many round trips");
    }
  }
});

Deno.test("evaluateForecasts() is deterministic and its accounting is self-consistent", async () => {
  const { bars, forecasts } = await btcFixture();
  const options = { ...SMA_OPTIONS, fill: "next_open", feeBps: 5 } as const;
  const a = evaluateForecasts(forecasts, bars, options);
  const b = evaluateForecasts(forecasts, bars, options);
  assert.deepEqual(a.positions.columns, [...POSITION_COLUMNS]);
  assert.deepEqual(a.metrics.columns, [...METRIC_COLUMNS]);
  for (const [x, y] of [[a.positions, b.positions], [a.metrics, b.metrics]] as const) {
    for (const column of x.columns) {
      const bytes = (f: pl.DataFrame) => new Uint8Array(floats(f, column).buffer);
      assert.deepEqual(bytes(x), bytes(y), column);
    }
  }
  const m = a.metrics;
  const pnl = floats(m, "pnl");
  const cash = floats(m, "cash");
  const wealth = floats(m, "net_wealth");
  const nmv = floats(m, "nmv");
  const fees = floats(m, "fees");
  const net = floats(m, "net_volume");
  let previousWealth = 10_000;
  let previousCash = 10_000;
  for (let t = 0; t < pnl.length; t++) {
    const scale = Math.max(1, Math.abs(wealth[t] as number));
    assert.ok(
      Math.abs((pnl[t] as number) - ((wealth[t] as number) - previousWealth)) < 1e-9 * scale,
    );
    assert.ok(
      Math.abs((cash[t] as number) - (previousCash - (net[t] as number) - (fees[t] as number))) <
        1e-9 * scale,
    );
    assert.ok(
      Math.abs((wealth[t] as number) - ((cash[t] as number) + (nmv[t] as number))) < 1e-9 * scale,
    );
    previousWealth = wealth[t] as number;
    previousCash = cash[t] as number;
  }
});

Deno.test("evaluateForecasts() gives the same result whether or not the bars match the grid", async () => {
  // The BTC-only bars match the forecasts exactly (fast path); all the fixture's assets and a
  // day of extra bars do not (general path).
  const { bars, forecasts } = await btcFixture();
  const all = await readBars(FIXTURE);
  assert.ok(all.height > bars.height);
  const late = forecasts.slice(288, forecasts.height - 288);
  for (const fill of ["close", "next_open", "next_close", "twap", "vwap"] as const) {
    for (const f of [forecasts, late]) {
      const options = { ...SMA_OPTIONS, fill, feeBps: 3 };
      const a = evaluateForecasts(f, bars, options);
      const b = evaluateForecasts(f, all, options);
      for (const [x, y] of [[a.positions, b.positions], [a.metrics, b.metrics]] as const) {
        for (const column of x.columns) {
          const bytes = (frame: pl.DataFrame) => new Uint8Array(floats(frame, column).buffer);
          assert.deepEqual(bytes(x), bytes(y), `${fill} ${column}`);
        }
      }
    }
  }
});

/** Two assets, three bars: asset 1 priced 10 → 11 → 12 (opens 10.5, 11.5), asset 2 at 20 flat. */
function twoAssets(): { bars: pl.DataFrame; forecasts: pl.DataFrame } {
  const ts = [T0, T0, T0 + BAR_MS, T0 + BAR_MS, T0 + 2 * BAR_MS, T0 + 2 * BAR_MS];
  const ids = [1, 2, 1, 2, 1, 2];
  const close = [10, 20, 11, 20, 12, 20];
  const open = [9.5, 20, 10.5, 20, 11.5, 20];
  const bars = pl.DataFrame([
    times(ts),
    pl.Series("asset_id", ids).cast(pl.Int64),
    pl.Series("open", open),
    pl.Series("high", close.map((c, i) => Math.max(c, open[i] as number))),
    pl.Series("low", close.map((c, i) => Math.min(c, open[i] as number))),
    pl.Series("close", close),
    pl.Series("volume", [1, 1, 1, 1, 1, 1]),
  ]);
  const forecasts = pl.DataFrame([
    times(ts),
    pl.Series("asset_id", ids).cast(pl.Int64),
    pl.Series("px", close),
    pl.Series("vol", [0.01, 0.01, 0.01, 0.01, 0.01, 0.01]),
    pl.Series("pred", [1, -0.5, 1, -0.5, 0, 0]),
  ]);
  return { bars, forecasts };
}

Deno.test("evaluateForecasts() with gmv sizing and next_open fills, bar by bar", () => {
  const { bars, forecasts } = twoAssets();
  const { positions, metrics } = evaluateForecasts(forecasts, bars, {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
    targetGmv: 1100,
    initialCash: 1000,
    fill: "next_open",
    feeBps: 10,
  });
  // Decided at bar 0: 1100/10 = 110 units of asset 1, −550/20 = −27.5 of asset 2; bought at
  // the opens of bar 1 (10.5, 20). Decided at bar 1: 100 and −27.5 → sells 10 at 11.5 during
  // bar 2. Decided at bar 2: flat, never executed (no bar 3).
  assert.deepEqual([...floats(positions, "target_holdings_shares")], [
    110,
    -27.5,
    100,
    -27.5,
    0,
    0,
  ]);
  assert.deepEqual([...floats(positions, "holdings_shares")], [0, 0, 110, -27.5, 100, -27.5]);
  assert.deepEqual([...floats(positions, "executed_trades_shares")], [0, 0, 110, -27.5, -10, 0]);
  assert.deepEqual([...floats(positions, "executed_trades_notional")], [0, 0, 1155, -550, -115, 0]);
  const fees = floats(positions, "fees");
  assert.deepEqual([...fees].map((x) => Math.round(x * 1e9) / 1e9), [0, 0, 1.155, 0.55, 0.115, 0]);
  const pnl = floats(positions, "pnl");
  assert.ok(Math.abs((pnl[2] as number) - (110 * 11 - 1155 - 1.155)) < 1e-9);
  assert.ok(Math.abs((pnl[3] as number) - (-27.5 * 20 + 550 - 0.55)) < 1e-9);
  assert.ok(Math.abs((pnl[4] as number) - (100 * 12 - 110 * 11 + 115 - 0.115)) < 1e-9);
  assert.deepEqual([...floats(positions, "price")], [10, 20, 11, 20, 12, 20]);
  const wealth = floats(metrics, "net_wealth");
  const cash = 1000 - 1155 + 550 - 1.155 - 0.55 + 115 - 0.115;
  assert.ok(Math.abs((wealth[2] as number) - (cash + 1200 - 550)) < 1e-9);
  assert.deepEqual([...floats(metrics, "num_trades")], [0, 2, 1]);
  assert.deepEqual([...floats(metrics, "gross_volume")], [0, 1705, 115]);
  assert.deepEqual([...floats(metrics, "gmv")], [0, 1210 + 550, 1200 + 550]);
  assert.ok(
    Math.abs((floats(metrics, "leverage")[2] as number) - 1750 / (wealth[2] as number)) < 1e-12,
  );
});

Deno.test("evaluateForecasts() with close fills trades at close(t) during bar t", () => {
  const { bars, forecasts } = twoAssets();
  const { positions } = evaluateForecasts(forecasts, bars, {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
    targetGmv: 1100,
    fill: "close",
  });
  assert.deepEqual([...floats(positions, "holdings_shares")], [110, -27.5, 100, -27.5, 0, 0]);
  assert.deepEqual([...floats(positions, "executed_trades_notional")], [
    1100,
    -550,
    -110,
    0,
    -1200,
    550,
  ]);
  assert.deepEqual([...floats(positions, "pnl")], [0, 0, 110, 0, 100, 0]);
});

Deno.test("evaluateForecasts() fills a sparse forecasts frame: a missing prediction is flat", () => {
  const { bars, forecasts } = twoAssets();
  const sparse = pl.concat([forecasts.slice(0, 3), forecasts.slice(4, 2)]);
  assert.equal(sparse.height, 5);
  const { positions } = evaluateForecasts(sparse, bars, {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
    targetGmv: 1100,
    fill: "close",
  });
  assert.equal(positions.height, 6);
  assert.deepEqual([...floats(positions, "target_holdings_shares")], [110, -27.5, 100, 0, 0, 0]);
  assert.ok(Number.isNaN(floats(positions, "prediction")[3]));
});

Deno.test("evaluateForecasts() with equity sizing sizes next-bar fills at the fill price", () => {
  const { bars, forecasts } = twoAssets();
  const { positions, metrics } = evaluateForecasts(forecasts, bars, {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "equity",
    initialCash: 1000,
    fill: "next_open",
  });
  // Bar 1: wealth 1000 at the opens → 1000/10.5 units of asset 1, −500/20 of asset 2.
  const shares = floats(positions, "holdings_shares");
  assert.equal(shares[2], 1000 / 10.5);
  assert.equal(shares[3], -25);
  assert.ok(Math.abs((floats(metrics, "cash")[1] as number) - 500) < 1e-9);
  // The last decision (flat) is reported, sized at the close, and never executed.
  assert.deepEqual([...floats(positions, "target_holdings_shares").slice(4)], [0, 0]);
  assert.equal(shares[4], shares[2]);
});

Deno.test("evaluateForecasts() prices twap/vwap fills from finer bars", () => {
  // 1-minute bars, forecasts every 2 minutes.
  const ts = [1, 2, 3, 4].map((i) => T0 + i * 60_000);
  const bars = pl.DataFrame([
    times(ts),
    pl.Series("asset_id", [7, 7, 7, 7]).cast(pl.Int64),
    pl.Series("open", [10, 10, 12, 14]),
    pl.Series("high", [10, 10, 12, 14]),
    pl.Series("low", [10, 10, 12, 14]),
    pl.Series("close", [10, 10, 12, 14]),
    pl.Series("volume", [1, 1, 1, 3]),
  ]);
  const forecasts = pl.DataFrame([
    times([ts[1] as number, ts[3] as number]),
    pl.Series("asset_id", [7, 7]).cast(pl.Int64),
    pl.Series("px", [10, 14]),
    pl.Series("pred", [1, 1]),
  ]);
  const options = {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
    targetGmv: 100,
  } as const;
  const twap = evaluateForecasts(forecasts, bars, { ...options, fill: "twap" }).positions;
  assert.deepEqual([...floats(twap, "executed_trades_notional")], [0, 10 * 13]);
  const vwap = evaluateForecasts(forecasts, bars, { ...options, fill: "vwap" }).positions;
  assert.deepEqual([...floats(vwap, "executed_trades_notional")], [0, 10 * (12 + 14 * 3) / 4]);
});

Deno.test("evaluateForecasts() rejects bad inputs with DataError naming the problem", () => {
  const { bars, forecasts } = twoAssets();
  const options = {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
  } as const;
  assert.throws(
    () => evaluateForecasts(forecasts, bars, { ...options, predictionCol: "nope" }),
    (e: unknown) => e instanceof DataError && /no column 'nope'/.test(e.message),
  );
  assert.throws(
    () => evaluateForecasts(forecasts.sort("asset_id"), bars, options),
    (e: unknown) => e instanceof DataError && /sorted by \(timestamp, asset_id\)/.test(e.message),
  );
  assert.throws(
    () => evaluateForecasts(forecasts, bars.filter(pl.col("asset_id").eq(1)), options),
    (e: unknown) => e instanceof DataError && /no bars for asset_id 2/.test(e.message),
  );
  assert.throws(
    () =>
      evaluateForecasts(forecasts, bars, {
        ...options,
        style: "cross_sectional",
        volatilityCol: "v",
      }),
    (e: unknown) => e instanceof DataError && /'v'/.test(e.message),
  );
});
