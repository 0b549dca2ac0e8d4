import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DagtradeError, UsageError } from "../errors/mod.ts";
import { _timestamps } from "./_frame_time.ts";
import {
  _BAR_MS,
  _CenterNode,
  _makeBars,
  _T0,
  _TEST_DAG_LOOKBACK,
  _testDag,
} from "./_test_helpers.ts";
import { Dag } from "./dag.ts";
import { FitPredictRunner } from "./fit_predict_runner.ts";
import { FrameSourceNode } from "./frame_source_node.ts";
import { TransformNode } from "./node.ts";

const bar = (k: number) => _T0 + k * _BAR_MS;
const stamps = (df: pl.DataFrame) => [...new Set(_timestamps(df))];
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => bar(from + i));

Deno.test("FitPredictRunner.fit() fits on the bars ending in (a, b] only", () => {
  const bars = _makeBars({ bars: 100 });
  const dag = _testDag();
  const runner = new FitPredictRunner(dag, { bars, lookbackBars: _TEST_DAG_LOOKBACK });
  const fitted = runner.fit(bar(20), bar(60));
  assert.deepEqual(stamps(fitted), range(21, 60));
  assert.deepEqual(fitted.columns, [
    "timestamp",
    "asset_id",
    "close",
    "volume",
    "start_timestamp",
    "ret",
    "mom",
    "mom_xs",
    "pred",
  ]);
  // The learned mean is that of `mom` over the fit rows (no warm-up: the first rows are null).
  const mom = fitted.getColumn("mom");
  assert.equal(mom.nullCount(), 3 * 4);
  const center = dag.getNode("center") as _CenterNode;
  assert.equal(center.mean, mom.dropNulls().mean());
});

Deno.test("FitPredictRunner.predict() warms up before a and keeps only (a, b]", () => {
  const bars = _makeBars({ bars: 100 });
  const dag = _testDag();
  const runner = new FitPredictRunner(dag, { bars, lookbackBars: _TEST_DAG_LOOKBACK });
  runner.fit(bar(0), bar(50));
  const predicted = runner.predict(bar(60), bar(80));
  assert.deepEqual(stamps(predicted), range(61, 80));
  assert.equal(predicted.getColumn("pred").nullCount(), 0);
  assert.equal(runner.barMs, _BAR_MS); // inferred from the bars
  // Causal model: the same rows as predicting over the whole history.
  const whole = runner.predict(-Infinity, Infinity);
  assert.equal(whole.height, 300);
  const t = pl.col("timestamp").cast(pl.Int64);
  const slice = whole.filter(t.gt(pl.lit(bar(60))).and(t.ltEq(pl.lit(bar(80)))));
  assert.equal(slice.height, 60);
  assert.ok(predicted.frameEqual(slice, true));
  // Without the warm-up the first bars lack history.
  const cold = new FitPredictRunner(dag, { bars });
  assert.equal(
    cold.predict(bar(60), bar(80)).getColumn("pred").nullCount(),
    3 * (_TEST_DAG_LOOKBACK - 1),
  );
});

Deno.test("FitPredictRunner returns result frames sorted by (timestamp, asset_id)", () => {
  class Shuffle extends TransformNode {
    override transform(df: pl.DataFrame): pl.DataFrame {
      return df.sort("asset_id", true);
    }
  }
  const dag = new Dag("shuffled");
  dag.addNode(new FrameSourceNode("src"));
  dag.addNode(new Shuffle("shuffle"));
  dag.connect("src", "shuffle");
  const bars = _makeBars({ bars: 10 });
  const runner = new FitPredictRunner(dag, { bars });
  assert.ok(runner.predict(-Infinity, Infinity).frameEqual(bars));
  assert.ok(runner.predict(bar(2), bar(4)).frameEqual(bars.slice(6, 6)));
});

Deno.test("FitPredictRunner rejects bad intervals, options and DAG shapes", () => {
  const bars = _makeBars({ bars: 10 });
  const runner = new FitPredictRunner(_testDag(), { bars });
  assert.throws(
    () => runner.predict(bar(5), bar(4)),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "Cannot predict on (2025-01-01T00:25Z, 2025-01-01T00:20Z]: the interval start must not be after its end",
  );
  assert.throws(
    () => new FitPredictRunner(_testDag(), { bars, lookbackBars: -1 }),
    /lookbackBars must be a non-negative integer/,
  );
  const oneBar = new FitPredictRunner(_testDag(), {
    bars: _makeBars({ bars: 1 }),
    lookbackBars: 3,
  });
  assert.throws(() => oneBar.predict(bar(0), bar(1)), /cannot infer the bar period.*pass barMs/);
  const twoSinks = _testDag();
  twoSinks.addNode(new Shuffle2("extra"));
  twoSinks.connect("src", "extra");
  assert.throws(
    () => new FitPredictRunner(twoSinks, { bars }),
    (e: unknown) =>
      e instanceof DagtradeError && /exactly one sink; found center, extra/.test(e.message),
  );
  assert.equal(new FitPredictRunner(twoSinks, { bars, sinkNodeId: "extra" }).sinkNodeId, "extra");
});

class Shuffle2 extends TransformNode {
  override transform(df: pl.DataFrame): pl.DataFrame {
    return df;
  }
}
