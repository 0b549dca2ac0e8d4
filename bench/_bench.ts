/** Shared helpers of the benchmarks: the shared data location, timing and result rows. */
import { join } from "node:path";
import { importFreqtradeDir, readBars } from "../lib/sim/mod.ts";
import pl from "nodejs-polars";

/** The bundled fixture snapshot (8 pairs, 6 weeks of 5m bars). */
export const FIXTURE_SNAPSHOT: string = join(
  new URL("..", import.meta.url).pathname,
  "fixtures",
  "market_data",
  "binance_spot_5m.parquet",
);

/** One reported figure. */
export interface BenchFigure {
  /** What was measured. */
  name: string;
  /** The figure. */
  value: number;
  /** Its unit (`rows/s`, `ms`, `MiB`). */
  unit: string;
  /** How it was measured. */
  note?: string;
}

/** The shared 14-pair data directory (../shared/data/binance_spot_5m), or undefined when absent. */
export function sharedDataDir(): string | undefined {
  const dir = Deno.env.get("DAGTRADE_SHARED_DATA") ??
    join(new URL("..", import.meta.url).pathname, "..", "shared", "data", "binance_spot_5m");
  try {
    return Deno.statSync(dir).isDirectory ? dir : undefined;
  } catch {
    return undefined;
  }
}

let _bars: pl.DataFrame | undefined;

/** The 14 pairs of the shared data on their common grid, as bars (cached). */
export async function sharedBars(dir: string): Promise<pl.DataFrame> {
  if (_bars === undefined) {
    const imported = await importFreqtradeDir(dir, {
      end: Date.UTC(2026, 1, 19, 19, 20),
      knowledgeDelayMs: 10_000,
    });
    _bars = imported.bars;
  }
  return _bars;
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The q-quantile (0..1) of a list of numbers (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

/** Runs `fn` `n` times and returns each run's wall time in ms. */
export async function timeRuns(n: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** The shared 14-pair bars when present, else the fixture's bars. */
export async function sharedOrFixtureBars(): Promise<pl.DataFrame> {
  const dir = sharedDataDir();
  return dir === undefined ? await readBars(FIXTURE_SNAPSHOT) : await sharedBars(dir);
}

/**
 * The window of the latency benchmarks (shared data when present, else the fixture): the end
 * `first` of the first of `nBars` 5-minute bars ending 10 bars before the data's last bar, and
 * the bars from two days before it to 2 bars after the window.
 */
export async function latencyWindow(nBars: number): Promise<{ first: number; bars: pl.DataFrame }> {
  const M5 = 300_000;
  const all = await sharedOrFixtureBars();
  const lastEnd = all.getColumn("timestamp").cast(pl.Float64).max() as number;
  const first = Math.floor((lastEnd - (nBars + 10) * M5) / M5) * M5;
  const ts = pl.col("timestamp").cast(pl.Float64);
  const bars = all.filter(
    ts.gt(pl.lit(first - 2 * 86_400_000)).and(ts.ltEq(pl.lit(first + (nBars + 2) * M5))),
  );
  return { first, bars };
}
