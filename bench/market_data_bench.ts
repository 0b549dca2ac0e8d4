/** Foundation figures: snapshot load + validate throughput, and MarketData query latency. */
import { join } from "node:path";
import { type BenchFigure, median, quantile, sharedBars, timeRuns } from "./_bench.ts";
import { FrameMarketData, readSnapshot, ReplayedClock, writeSnapshot } from "../lib/sim/mod.ts";

/** Runs the market-data benchmarks on the shared 14-pair data. */
export async function benchMarketData(dataDir: string): Promise<BenchFigure[]> {
  const bars = await sharedBars(dataDir);
  const tmp = await Deno.makeTempDir();
  const path = join(tmp, "binance_14.parquet");
  await writeSnapshot(bars, path, { createdAt: 0, timeframe: "5m" });
  const load = await timeRuns(5, () => readSnapshot(path));
  const loadMs = median(load);
  const rows = bars.height;

  const last = Date.UTC(2026, 1, 19, 19, 20);
  const clock = new ReplayedClock(last + 60_000);
  const md = new FrameMarketData(bars, clock, { barMs: 300_000 });
  const ends: number[] = [];
  for (let i = 0; i < 2000; i++) ends.push(last - ((i * 7919) % 100_000) * 300_000);
  const q: number[] = [];
  for (const end of ends) {
    const t0 = performance.now();
    md.getData(end - 100 * 300_000, end);
    q.push(performance.now() - t0);
  }
  await Deno.remove(tmp, { recursive: true });
  return [
    {
      name: "snapshot load + validate (Parquet, 14 pairs)",
      value: Math.round(rows / (loadMs / 1000)),
      unit: "rows/s",
      note: `${rows} rows in ${loadMs.toFixed(0)} ms (median of 5)`,
    },
    {
      name: "MarketData.getData 100 bars x 14 assets, p50",
      value: Number((median(q) * 1000).toFixed(1)),
      unit: "µs",
      note: `p99 ${(quantile(q, 0.99) * 1000).toFixed(1)} µs over 2000 random windows`,
    },
  ];
}
