/**
 * DataFlow figures: vectorized throughput of the built-in models (from a loaded frame to the
 * prediction column) and the incremental one-bar step latency for 14 assets.
 */
import { type BenchFigure, median, quantile, sharedBars, timeRuns } from "./_bench.ts";
import { buildFittedDag, FitPredictRunner, getBuilder, IncrementalRunner } from "../lib/dag/mod.ts";
import { FrameMarketData, ReplayedClock } from "../lib/sim/mod.ts";

/** Runs the DAG benchmarks on the shared 14-pair data. */
export async function benchDag(dataDir: string): Promise<BenchFigure[]> {
  const bars = await sharedBars(dataDir);
  const assetBars = bars.height;
  const figures: BenchFigure[] = [];
  for (const name of ["sma_cross", "cross_sectional"]) {
    const builder = getBuilder(name);
    const config = builder.configTemplate();
    const runs = await timeRuns(5, () => {
      const dag = buildFittedDag(builder, config, { bars });
      new FitPredictRunner(dag, { bars, barMs: 300_000 }).predict(-Infinity, Infinity);
    });
    const ms = median(runs);
    figures.push({
      name: `${name} vectorized, 14 assets x 119,752 bars`,
      value: Math.round(assetBars / (ms / 1000)),
      unit: "asset-bars/s",
      note: `${ms.toFixed(0)} ms per run (median of 5)`,
    });
  }
  for (const name of ["sma_cross", "cross_sectional"]) {
    const builder = getBuilder(name);
    const config = builder.configTemplate();
    const dag = buildFittedDag(builder, config, { bars });
    const start = Date.UTC(2025, 6, 1);
    const clock = new ReplayedClock(start + 2000 * 300_000);
    const md = new FrameMarketData(bars, clock, { barMs: 300_000 });
    const runner = new IncrementalRunner(dag, md, { lookbackBars: builder.lookbackBars(config) });
    // stepColumns: the production loop's call (JS frames end to end); step: the same, then
    // the rows converted to a Polars frame.
    for (const polars of [false, true]) {
      const steps: number[] = [];
      for (let i = 1; i <= 2000; i++) {
        const t0 = performance.now();
        if (polars) runner.step(start + i * 300_000);
        else runner.stepColumns(start + i * 300_000);
        steps.push(performance.now() - t0);
      }
      figures.push({
        name: `${name} incremental ${polars ? "step()" : "stepColumns()"}, 14 assets, p50`,
        value: Number(median(steps).toFixed(3)),
        unit: "ms",
        note: `p95 ${
          quantile(steps, 0.95).toFixed(3)
        } ms over 2000 bars (lookback ${runner.lookbackBars} bars)`,
      });
    }
  }
  return figures;
}
