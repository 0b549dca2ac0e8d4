import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import { _timestamps } from "./_frame_time.ts";
import {
  _BAR_MS,
  _CenterNode,
  _makeBars,
  _T0,
  _TEST_DAG_LOOKBACK,
  _testDag,
} from "./_test_helpers.ts";
import { FitPredictRunner } from "./fit_predict_runner.ts";
import { RollingFitPredictRunner } from "./rolling_fit_predict_runner.ts";

const bar = (k: number) => _T0 + k * _BAR_MS;

/** Mean over assets and bars of the 4-bar return sums computable inside (a, b] (plain JS). */
function expectedMean(bars: pl.DataFrame, a: number, b: number): number {
  const ts = _timestamps(bars);
  const ids = bars.getColumn("asset_id").cast(pl.Float64).toTypedArray() as Float64Array;
  const close = bars.getColumn("close").toTypedArray() as Float64Array;
  const byAsset = new Map<number, number[]>();
  ts.forEach((t, i) => {
    if (t <= a || t > b) return;
    const list = byAsset.get(ids[i] as number) ?? [];
    list.push(close[i] as number);
    byAsset.set(ids[i] as number, list);
  });
  let sum = 0;
  let n = 0;
  for (const c of byAsset.values()) {
    const ret = c.map((x, i) => (i === 0 ? NaN : x / (c[i - 1] as number) - 1));
    for (let i = 4; i < c.length; i++) {
      sum += (ret[i] as number) + (ret[i - 1] as number) + (ret[i - 2] as number) +
        (ret[i - 3] as number);
      n++;
    }
  }
  return sum / n;
}

Deno.test("RollingFitPredictRunner.run() refits every period on the lookback window", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bars = _makeBars({ bars: 300 });
    const runner = new RollingFitPredictRunner(_testDag(), {
      bars,
      lookbackBars: _TEST_DAG_LOOKBACK,
      retrainFreq: 50 * _BAR_MS,
      fitLookbackMs: 80 * _BAR_MS,
      outputDir: dir,
    });
    const { result, fitStates } = runner.run(bar(100), bar(290));
    assert.deepEqual(fitStates.map((s) => s.fitTime), [bar(100), bar(150), bar(200), bar(250)]);
    assert.equal((runner.dag.getNode("center") as _CenterNode).fits, 4);
    for (const s of fitStates) {
      assert.deepEqual(s.fitInterval, [s.fitTime - 80 * _BAR_MS, s.fitTime]);
      const mean = (s.states["center"] as { mean: number }).mean;
      assert.ok(Math.abs(mean - expectedMean(bars, s.fitInterval[0], s.fitTime)) < 1e-15);
    }
    assert.deepEqual(fitStates.at(-1)?.predictInterval, [bar(250), bar(290)]);
    // The result: every bar of (100, 290], each period predicted with its own refit.
    const stamps = [...new Set(_timestamps(result))];
    assert.equal(stamps.length, 190);
    assert.equal(stamps[0], bar(101));
    assert.equal(stamps.at(-1), bar(290));
    const manual = new FitPredictRunner(_testDag(), { bars, lookbackBars: _TEST_DAG_LOOKBACK });
    const parts = fitStates.map((s) => {
      manual.dag.setFitStates(s.states);
      return manual.predict(s.predictInterval[0], s.predictInterval[1]);
    });
    assert.ok(result.frameEqual(pl.concat(parts), true));
    // Saved states, one file per refit.
    const saved = JSON.parse(
      await Deno.readTextFile(`${dir}/fit_states/20250101T123000Z.json`),
    );
    assert.equal(saved.fit_time, "2025-01-01T12:30Z");
    assert.deepEqual(saved.fit_interval, ["2025-01-01T05:50Z", "2025-01-01T12:30Z"]);
    assert.deepEqual(saved.states, fitStates[1]?.states);
    const files = [];
    for await (const e of Deno.readDir(`${dir}/fit_states`)) files.push(e.name);
    assert.equal(files.length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RollingFitPredictRunner.refitTimes() follows calendar months with 'month'", () => {
  const runner = new RollingFitPredictRunner(_testDag(), {
    bars: _makeBars({ bars: 10 }),
    retrainFreq: "month",
    fitLookbackMs: 86_400_000,
  });
  assert.deepEqual(runner.refitTimes(Date.UTC(2025, 0, 15, 12), Date.UTC(2025, 2, 1)), [
    Date.UTC(2025, 0, 15, 12),
    Date.UTC(2025, 1, 1),
  ]);
  assert.deepEqual(runner.refitTimes(Date.UTC(2024, 11, 1), Date.UTC(2025, 1, 2)), [
    Date.UTC(2024, 11, 1),
    Date.UTC(2025, 0, 1),
    Date.UTC(2025, 1, 1),
  ]);
  assert.throws(() => runner.refitTimes(bar(2), bar(2)), /need finite start < end/);
  assert.throws(
    () =>
      new RollingFitPredictRunner(_testDag(), {
        bars: _makeBars({ bars: 10 }),
        retrainFreq: 0,
        fitLookbackMs: 1,
      }),
    (e: unknown) => e instanceof UsageError && /retrainFreq must be a positive/.test(e.message),
  );
});
