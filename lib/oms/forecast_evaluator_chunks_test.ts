import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";
import { readBars } from "../sim/mod.ts";
import {
  evaluateForecasts,
  evaluateForecastsChunk,
  type EvaluateForecastsOptions,
  type ForecastEvaluation,
  type ForecastEvaluatorState,
} from "./forecast_evaluator.ts";
import { FILL_CONVENTIONS } from "./fill_prices.ts";
import { SIZINGS, TARGET_STYLES } from "./target_positions.ts";
import { _random } from "./_test_bars.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6);

function times(ms: ArrayLike<number>): pl.Series {
  return pl.Series("timestamp", Float64Array.from(ms)).cast(pl.Int64)
    .cast(pl.Datetime("ms", "UTC"));
}

function timestamps(df: pl.DataFrame): Float64Array {
  return df.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
}

/** The rows of a frame sorted by timestamp whose timestamp is in `(lo, hi]`. */
function between(df: pl.DataFrame, ts: Float64Array, lo: number, hi: number): pl.DataFrame {
  let a = 0;
  while (a < ts.length && (ts[a] as number) <= lo) a++;
  let b = a;
  while (b < ts.length && (ts[b] as number) <= hi) b++;
  return df.slice(a, b - a);
}

/**
 * Synthetic data that exercises every path: 1-minute bars with gaps, an asset whose bars start
 * late, zero volumes; forecasts on a 5-minute grid with missing timestamps and missing rows,
 * NaN predictions.
 */
function synthetic(seed: number): { bars: pl.DataFrame; forecasts: pl.DataFrame } {
  const rand = _random(seed);
  const ids = [11, 22, 33, 44];
  const price = ids.map(() => 50 + 100 * rand());
  const bar = { t: [] as number[], id: [] as number[], o: [] as number[], c: [] as number[] };
  const hl = { h: [] as number[], l: [] as number[], v: [] as number[] };
  const nMinutes = 3_000;
  for (let m = 1; m <= nMinutes; m++) {
    ids.forEach((id, a) => {
      const open = price[a] as number;
      const close = open * (1 + (rand() - 0.5) * 0.01);
      price[a] = close;
      if (id === 44 && m < 700) return; // listed late
      if (rand() < 0.05) return; // a gap
      bar.t.push(T0 + m * MINUTE);
      bar.id.push(id);
      bar.o.push(open);
      bar.c.push(close);
      hl.h.push(Math.max(open, close) * (1 + rand() * 1e-3));
      hl.l.push(Math.min(open, close) * (1 - rand() * 1e-3));
      hl.v.push(rand() < 0.1 ? 0 : rand() * 10);
    });
  }
  const bars = pl.DataFrame([
    times(bar.t),
    pl.Series("asset_id", bar.id).cast(pl.Int64),
    pl.Series("open", bar.o),
    pl.Series("high", hl.h),
    pl.Series("low", hl.l),
    pl.Series("close", bar.c),
    pl.Series("volume", hl.v),
  ]);
  const f = {
    t: [] as number[],
    id: [] as number[],
    px: [] as number[],
    vol: [] as number[],
    pred: [] as number[],
  };
  for (let m = 5; m <= nMinutes; m += 5) {
    if (rand() < 0.04) continue; // no forecast at all at this time
    for (const id of ids) {
      if (rand() < 0.03) continue; // a missing row
      f.t.push(T0 + m * MINUTE);
      f.id.push(id);
      f.px.push(50 + 100 * rand());
      f.vol.push(rand() < 0.02 ? NaN : 0.001 + rand() * 0.01);
      f.pred.push(rand() < 0.03 ? NaN : 2 * rand() - 1);
    }
  }
  const forecasts = pl.DataFrame([
    times(f.t),
    pl.Series("asset_id", f.id).cast(pl.Int64),
    pl.Series("px", f.px),
    pl.Series("vol", f.vol),
    pl.Series("pred", f.pred),
  ]);
  return { bars, forecasts };
}

/**
 * Evaluates `forecasts` in the chunks `(cuts[i−1], cuts[i]]` (the last cut must cover the
 * last forecast); `bars: "window"` passes each chunk only the bars it needs, `"all"` every bar.
 */
function inChunks(
  forecasts: pl.DataFrame,
  bars: pl.DataFrame,
  options: EvaluateForecastsOptions,
  cuts: number[],
  mode: "window" | "all",
): ForecastEvaluation {
  const fts = timestamps(forecasts);
  const bts = timestamps(bars);
  let state: ForecastEvaluatorState | undefined;
  const positions: pl.DataFrame[] = [];
  const metrics: pl.DataFrame[] = [];
  cuts.forEach((hi, i) => {
    const lo = i === 0 ? -Infinity : cuts[i - 1] as number;
    const chunk = between(forecasts, fts, lo, hi);
    const chunkBars = mode === "all" ? bars : between(bars, bts, state?.lastTime ?? -Infinity, hi);
    const r = evaluateForecastsChunk(chunk, chunkBars, {
      ...options,
      state,
      final: i === cuts.length - 1,
      assetIds: [44, 33, 22, 11],
    });
    positions.push(r.positions);
    metrics.push(r.metrics);
    state = r.state;
  });
  assert.equal(state, undefined, "no state after the final chunk");
  return { positions: pl.concat(positions), metrics: pl.concat(metrics) };
}

/** Asserts bit-identical frames (NaNs included): same columns, types and float64 bits. */
function assertIdentical(x: pl.DataFrame, y: pl.DataFrame, what: string): void {
  assert.deepEqual(x.columns, y.columns, what);
  assert.equal(x.height, y.height, `${what}: rows`);
  for (const column of x.columns) {
    assert.equal(String(x.getColumn(column).dtype), String(y.getColumn(column).dtype));
    const bits = (df: pl.DataFrame) =>
      new Uint32Array(
        (df.getColumn(column).cast(pl.Float64).toTypedArray() as Float64Array).slice().buffer,
      );
    const a = bits(x);
    const b = bits(y);
    let differs = -1;
    for (let i = 0; i < a.length && differs < 0; i++) if (a[i] !== b[i]) differs = i >> 1;
    assert.equal(differs, -1, `${what}: column ${column} differs at row ${differs}`);
  }
}

Deno.test("evaluateForecastsChunk() in chunks equals evaluateForecasts() bit for bit, every style, sizing and fill", () => {
  const { bars, forecasts } = synthetic(7);
  const fts = timestamps(forecasts);
  const first = fts[0] as number;
  const last = fts[fts.length - 1] as number;
  const cutSets = [
    // Mid-period cuts, one falling inside a gap of the grid; an empty chunk; a one-bar chunk.
    [T0 + 333 * MINUTE, T0 + 1_000 * MINUTE, T0 + 1_000 * MINUTE, T0 + 1_005 * MINUTE, last],
    // An empty first chunk, then the whole period, then an empty final chunk.
    [first - MINUTE, last, last + MINUTE],
    // Many small chunks (every 97 minutes).
    Array.from(
      { length: Math.ceil((last - T0) / (97 * MINUTE)) },
      (_, i) => T0 + (i + 1) * 97 * MINUTE,
    ),
  ];
  for (const style of TARGET_STYLES) {
    for (const sizing of SIZINGS) {
      for (const fill of FILL_CONVENTIONS) {
        const options: EvaluateForecastsOptions = {
          priceCol: "px",
          volatilityCol: "vol",
          predictionCol: "pred",
          style,
          sizing,
          fill,
          feeBps: 7,
          initialCash: 10_000,
          riskPerName: 0.05,
        };
        const whole = evaluateForecasts(forecasts, bars, options);
        assert.ok(whole.positions.height > 0);
        // Every style, sizing and fill with the first cuts; the others (slower: many Polars
        // calls) with equity sizing, whose targets depend on the next chunk's fill prices.
        const sets = sizing === "equity" && style !== "longitudinal"
          ? cutSets
          : cutSets.slice(0, 1);
        sets.forEach((cuts, c) => {
          for (const mode of c === 0 ? ["window", "all"] as const : ["window"] as const) {
            const chunked = inChunks(forecasts, bars, options, cuts, mode);
            const what = `${style}/${sizing}/${fill} cuts #${c} bars ${mode}`;
            assertIdentical(chunked.positions, whole.positions, `${what} positions`);
            assertIdentical(chunked.metrics, whole.metrics, `${what} metrics`);
          }
        });
      }
    }
  }
});

Deno.test("evaluateForecastsChunk() by month on the fixture equals the whole period (dense fast path first)", async () => {
  const bars = (await readBars(FIXTURE)).select(
    "timestamp",
    "asset_id",
    "open",
    "high",
    "low",
    "close",
    "volume",
  );
  const close = bars.getColumn("close").toTypedArray() as Float64Array;
  const prev = new Float64Array(close.length);
  // A momentum-like prediction: the sign of the asset's last move (8 assets per timestamp).
  for (let i = 8; i < close.length; i++) {
    prev[i] = Math.sign((close[i] as number) - (close[i - 8] as number));
  }
  const forecasts = bars.select("timestamp", "asset_id", "close").withColumns(
    pl.Series("pred", prev),
    pl.Series("vol", new Float64Array(close.length).fill(0.01)),
  );
  const february = Date.UTC(2025, 1, 1);
  for (const fill of ["close", "next_open", "vwap"] as const) {
    for (const sizing of SIZINGS) {
      const options: EvaluateForecastsOptions = {
        priceCol: "close",
        volatilityCol: "vol",
        predictionCol: "pred",
        style: "cross_sectional",
        sizing,
        fill,
        feeBps: 2,
      };
      const whole = evaluateForecasts(forecasts, bars, options);
      const chunked = inChunksOf(forecasts, bars, options, february);
      assertIdentical(chunked.positions, whole.positions, `${fill}/${sizing} positions`);
      assertIdentical(chunked.metrics, whole.metrics, `${fill}/${sizing} metrics`);
    }
  }
});

/** Two chunks split at `cut`, the second given the bars from the first's last timestamp. */
function inChunksOf(
  forecasts: pl.DataFrame,
  bars: pl.DataFrame,
  options: EvaluateForecastsOptions,
  cut: number,
): ForecastEvaluation {
  const fts = timestamps(forecasts);
  const bts = timestamps(bars);
  const a = evaluateForecastsChunk(
    between(forecasts, fts, -Infinity, cut),
    between(bars, bts, -Infinity, cut),
    options,
  );
  assert.ok(a.state !== undefined);
  assert.equal(a.metrics.height, a.positions.height / 8 + 1, "positions lag by one timestamp");
  const b = evaluateForecastsChunk(
    between(forecasts, fts, cut, Infinity),
    between(bars, bts, a.state.lastTime, Infinity),
    { ...options, state: a.state, final: true },
  );
  return {
    positions: pl.concat([a.positions, b.positions]),
    metrics: pl.concat([a.metrics, b.metrics]),
  };
}

Deno.test("evaluateForecastsChunk() refuses chunks out of order, other settings, unknown assets, assets never priced", () => {
  const { bars, forecasts } = synthetic(3);
  const fts = timestamps(forecasts);
  const options: EvaluateForecastsOptions = {
    priceCol: "px",
    volatilityCol: "vol",
    predictionCol: "pred",
    style: "signal",
    sizing: "gmv",
  };
  const cut = T0 + 500 * MINUTE;
  const head = between(forecasts, fts, -Infinity, cut);
  const tail = between(forecasts, fts, cut, Infinity);
  const { state } = evaluateForecastsChunk(head, bars, { ...options, assetIds: [11, 22, 33, 44] });
  assert.ok(state !== undefined);
  assert.throws(
    () => evaluateForecastsChunk(head, bars, { ...options, state }),
    (e: unknown) => e instanceof DataError && /not after the previous chunk's last/.test(e.message),
  );
  assert.throws(
    () => evaluateForecastsChunk(tail, bars, { ...options, fill: "close", state }),
    (e: unknown) => e instanceof UsageError && /other evaluator settings/.test(e.message),
  );
  // Without assetIds the first chunk's assets hold: 44 (listed late) is not among them.
  const early = between(forecasts, fts, -Infinity, T0 + 100 * MINUTE)
    .filter(pl.col("asset_id").neq(44));
  const first = evaluateForecastsChunk(early, bars, options);
  assert.throws(
    () => evaluateForecastsChunk(tail, bars, { ...options, state: first.state }),
    (e: unknown) => e instanceof DataError && /asset_id 44 is not one of/.test(e.message),
  );
  // An asset without any bar in any chunk fails at the final chunk, not before.
  const no44 = bars.filter(pl.col("asset_id").neq(44));
  const part = evaluateForecastsChunk(head, no44, { ...options, assetIds: [11, 22, 33, 44] });
  assert.throws(
    () => evaluateForecastsChunk(tail, no44, { ...options, state: part.state, final: true }),
    (e: unknown) => e instanceof DataError && /no bars for asset_id 44/.test(e.message),
  );
});
