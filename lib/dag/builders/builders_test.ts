import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { applyOverrides, type Config } from "../../config/mod.ts";
import { ConfigError } from "../../errors/mod.ts";
import { FrameMarketData, readBars, ReplayedClock } from "../../sim/mod.ts";
import { buildFittedDag } from "../build_fitted_dag.ts";
import type { DagBuilder } from "../dag_builder.ts";
import { FitPredictRunner } from "../fit_predict_runner.ts";
import { IncrementalRunner } from "../incremental_runner.ts";
import { getBuilder, listBuilders } from "../registry.ts";
import "./mod.ts";

const FIXTURE =
  new URL("../../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 6);

/** Three assets, three days of the fixture. */
const bars = await readBars(FIXTURE, {
  end: T0 + 3 * DAY,
  symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
});

function configOf(builder: DagBuilder): Config {
  const config = builder.configTemplate();
  if (builder.name === "ridge") {
    applyOverrides(config, ["fit.start=2025-01-06", "fit.end=2025-01-07T12:00"]);
  }
  return config;
}

function vectorized(builder: DagBuilder, a: number, b: number): pl.DataFrame {
  const config = configOf(builder);
  const dag = buildFittedDag(builder, config, { bars });
  return new FitPredictRunner(dag, { bars, lookbackBars: builder.lookbackBars(config) }).predict(
    a,
    b,
  );
}

Deno.test("registry knows the built-in builders", () => {
  const names = listBuilders().map((b) => b.name);
  for (const name of ["sma_cross", "cross_sectional", "ridge"]) {
    assert.ok(names.includes(name), name);
  }
});

for (const name of ["sma_cross", "cross_sectional", "ridge"]) {
  Deno.test(`${name}: IncrementalRunner gives exactly the rows of the vectorized run`, async () => {
    const builder = getBuilder(name);
    const a = T0 + 2 * DAY;
    const b = a + 6 * 3_600_000;
    const expected = vectorized(builder, a, b);
    const config = configOf(builder);
    const dag = buildFittedDag(builder, config, { bars });
    const clock = new ReplayedClock(a);
    const md = new FrameMarketData(bars, clock, { barMs: 300_000, delayMs: 0 });
    const runner = new IncrementalRunner(dag, md, { lookbackBars: builder.lookbackBars(config) });
    const got = await clock.run(() => runner.runBars(a, b));
    assert.equal(got.height, 3 * 72);
    assert.ok(got.frameEqual(expected, true), `${name}: incremental != vectorized`);
  });

  Deno.test(`${name}: time tiles with the builder's lookback reproduce the untiled run`, () => {
    const builder = getBuilder(name);
    const a = T0 + DAY;
    const b = T0 + 3 * DAY;
    const whole = vectorized(builder, a, b);
    const cuts = [a, a + 7 * 3_600_000, T0 + 2 * DAY, b];
    const tiles = cuts.slice(1).map((end, i) => vectorized(builder, cuts[i] as number, end));
    assert.ok(pl.concat(tiles).frameEqual(whole, true), `${name}: tiled != untiled`);
  });
}

Deno.test("ridge: building without fit.start/fit.end names both DUMMY keys", () => {
  const builder = getBuilder("ridge");
  assert.throws(() => builder.build(builder.configTemplate()), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /fit\.start/);
    assert.match(e.message, /fit\.end/);
    return true;
  });
});

Deno.test("sma_cross on the BTC/USDT fixture matches an independent computation of the rule", async () => {
  const btc = await readBars(FIXTURE, { symbols: ["BTC/USDT"] });
  const builder = getBuilder("sma_cross");
  const config = builder.configTemplate();
  const out = new FitPredictRunner(builder.build(config), {
    bars: btc,
    lookbackBars: builder.lookbackBars(config),
  })
    .predict(-Infinity, Infinity);
  const close = btc.getColumn("close").toTypedArray() as Float64Array;
  const prediction = out.getColumn("prediction").toTypedArray() as Float64Array;
  const slow = out.getColumn("sma_slow").toArray() as (number | null)[];
  assert.equal(prediction.length, close.length);
  let longs = 0;
  for (let i = 0; i < close.length; i++) {
    let s10 = 0;
    let s50 = 0;
    for (let k = 0; k < 50 && i - k >= 0; k++) {
      if (k < 10) s10 += close[i - k] as number;
      s50 += close[i - k] as number;
    }
    const expected = i >= 49 && s10 / 10 > s50 / 50 ? 1 : 0;
    assert.equal(prediction[i], expected, `bar ${i}`);
    if (i >= 49) {
      assert.ok(Math.abs((slow[i] as number) - s50 / 50) <= 1e-9 * (s50 / 50), `sma_slow at ${i}`);
    } else assert.equal(slow[i], null);
    longs += expected;
  }
  assert.ok(longs > 1000 && longs < close.length - 1000, "the rule goes both long and flat");
});
