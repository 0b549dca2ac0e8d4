import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { FuturePeekingError, UsageError } from "../errors/mod.ts";
import { _timestamps } from "./_frame_time.ts";
import {
  _BAR_MS,
  _FrameMarketData,
  _makeBars,
  _ManualClock,
  _T0,
  _TEST_DAG_LOOKBACK,
  _testDag,
} from "./_test_helpers.ts";
import { Dag } from "./dag.ts";
import { FitPredictRunner } from "./fit_predict_runner.ts";
import { FrameSourceNode } from "./frame_source_node.ts";
import { IncrementalRunner } from "./incremental_runner.ts";
import { ColumnFrame } from "../frame/mod.ts";
import { TransformNode } from "./node.ts";

const bar = (k: number) => _T0 + k * _BAR_MS;

/** A fitted vectorized runner and a production-style DAG restored from its fit states. */
function setup(delayMs = 0) {
  const bars = _makeBars({ bars: 300 });
  const research = new FitPredictRunner(_testDag(), { bars, lookbackBars: _TEST_DAG_LOOKBACK });
  research.fit(bar(0), bar(100));
  const prodDag = _testDag();
  prodDag.setFitStates(JSON.parse(JSON.stringify(research.dag.getFitStates())));
  const clock = new _ManualClock(bar(150));
  const marketData = new _FrameMarketData(bars, clock, _BAR_MS, delayMs);
  return { bars, research, prodDag, clock, marketData };
}

Deno.test("IncrementalRunner.runBars() equals the vectorized predict row for row", async () => {
  const { research, prodDag, clock, marketData } = setup(10_000);
  const runner = new IncrementalRunner(prodDag, marketData, { lookbackBars: _TEST_DAG_LOOKBACK });
  const seen: number[] = [];
  const incremental = await runner.runBars(bar(150), bar(300), {
    onBar: (t, rows) => {
      assert.deepEqual([...new Set(_timestamps(rows))], [t]);
      seen.push(t);
    },
  });
  const vectorized = research.predict(bar(150), bar(300));
  assert.equal(vectorized.height, 450);
  assert.equal(vectorized.getColumn("pred").nullCount(), 0);
  assert.ok(incremental.frameEqual(vectorized, true));
  assert.equal(seen.length, 150);
  assert.equal(clock.now(), bar(300) + 10_000); // waited for each bar's knowledge time
});

Deno.test("IncrementalRunner feeds exactly lookbackBars bars: one fewer changes the output", () => {
  const { research, prodDag, clock, marketData } = setup();
  clock.t = bar(200);
  const vectorized = research.predict(bar(199), bar(200));
  const exact = new IncrementalRunner(prodDag, marketData, { lookbackBars: _TEST_DAG_LOOKBACK });
  assert.ok(exact.step(bar(200)).frameEqual(vectorized, true));
  assert.equal(prodDag.getOutput("src", "predict").height, 3 * _TEST_DAG_LOOKBACK);
  const short = new IncrementalRunner(prodDag, marketData, {
    lookbackBars: _TEST_DAG_LOOKBACK - 1,
  });
  const rows = short.step(bar(200));
  assert.equal(rows.height, 3);
  assert.equal(rows.getColumn("pred").nullCount(), 3);
});

Deno.test("IncrementalRunner.step() refuses a bar past the clock and returns no rows for a missing bar", () => {
  const { prodDag, marketData } = setup(10_000);
  const runner = new IncrementalRunner(prodDag, marketData, { lookbackBars: _TEST_DAG_LOOKBACK });
  assert.throws(() => runner.step(bar(151)), FuturePeekingError);
  // At 150 (+0 s) the bar ending at 150 is not known yet (10 s delay): no rows, same columns.
  const rows = runner.step(bar(150));
  assert.equal(rows.height, 0);
  assert.ok(rows.columns.includes("pred"));
  assert.throws(
    () => new IncrementalRunner(prodDag, marketData, { lookbackBars: 0 }),
    (e: unknown) => e instanceof UsageError && /positive integer, got 0/.test(e.message),
  );
});

Deno.test("IncrementalRunner.runBars() records per-bar timings and node IO when the DAG asks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bars = _makeBars({ bars: 40 });
    let tick = 0;
    const dag = _testDag({ nodeIoDir: dir, timer: () => tick++ });
    new FitPredictRunner(dag, { bars }).fit(bar(0), bar(30));
    const clock = new _ManualClock(bar(30));
    const runner = new IncrementalRunner(dag, new _FrameMarketData(bars, clock, _BAR_MS), {
      lookbackBars: _TEST_DAG_LOOKBACK,
    });
    const result = await runner.runBars(bar(30) + 1000, bar(32));
    assert.deepEqual([...new Set(_timestamps(result))], [bar(31), bar(32)]);
    const bars31 = dag.timings().filter((t) =>
      t.method === "predict" && t.barTimestamp === bar(31)
    );
    assert.deepEqual(bars31.map((t) => t.nodeId), ["src", "ret", "mom", "xs", "center"]);
    const dumped = pl.readParquet(`${dir}/predict.4.center.df_out.20250101T024000Z.parquet`);
    assert.equal(dumped.height, 3 * _TEST_DAG_LOOKBACK);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IncrementalRunner.step() finds and sorts the bar's rows when the sink reorders them", () => {
  class ByAssetDesc extends TransformNode {
    override transform(df: pl.DataFrame): pl.DataFrame {
      return df.sort("asset_id", true);
    }
  }
  const bars = _makeBars({ bars: 20 });
  const dag = new Dag("reordered");
  dag.addNode(new FrameSourceNode("src"));
  dag.addNode(new ByAssetDesc("desc"));
  dag.connect("src", "desc");
  const clock = new _ManualClock(bar(20));
  const runner = new IncrementalRunner(dag, new _FrameMarketData(bars, clock, _BAR_MS), {
    lookbackBars: 3,
  });
  assert.ok(runner.step(bar(10)).frameEqual(bars.slice(27, 3)));
});

Deno.test("IncrementalRunner.stepColumns() equals step() and uses the market data's getColumns()", () => {
  const { research, prodDag, clock, marketData } = setup();
  clock.t = bar(200);
  let served = 0;
  const columnar = Object.assign(Object.create(marketData) as typeof marketData, {
    getColumns: (start: number, end: number) => {
      served++;
      return ColumnFrame.fromPolars(marketData.getData(start, end));
    },
  });
  const runner = new IncrementalRunner(prodDag, columnar, { lookbackBars: _TEST_DAG_LOOKBACK });
  const rows = runner.stepColumns(bar(200));
  assert.equal(served, 1);
  assert.deepEqual([...new Set(rows.values("timestamp"))], [bar(200)]);
  assert.ok(rows.toPolars().frameEqual(research.predict(bar(199), bar(200)), true));
  assert.ok(runner.step(bar(199)).frameEqual(research.predict(bar(198), bar(199)), true));
  assert.equal(served, 2);
});
