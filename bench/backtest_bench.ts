/**
 * Backtest figures on the shared 14-pair data: whole-command wall time and peak RSS of a
 * monthly-tiled `sma_cross` backtest with `--workers 1` and `--workers 2`, asset-bars per
 * second, and peak RSS on half the data (tiles bound the memory of the tile work). The data is
 * written once as a Parquet snapshot (and as a store, for one more wall time) in a temp
 * directory; each run is a real `dagtrade backtest` subprocess. Peak RSS is the largest `VmHWM` any process of the run
 * logged (parent and workers, `peak RSS` lines of `log.txt`). Also replays the shared data's
 * cross-check (README of ../shared/data) through the command.
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { type BenchFigure, sharedBars } from "./_bench.ts";
import { writeSnapshot, writeStore } from "../lib/sim/mod.ts";

const _ROOT = new URL("..", import.meta.url).pathname;

interface _Run {
  wallMs: number;
  /** The largest peak RSS of any process of the run. */
  peakRssMib: number;
  /** The largest peak RSS of the worker processes (tile work only), NaN without workers. */
  workerRssMib: number;
  stats: Record<string, unknown>;
}

async function _backtest(args: string[], dst: string): Promise<_Run> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(_ROOT, "main.ts"),
      "backtest",
      ...args,
      "--dst-dir",
      dst,
      "--quiet",
      "--json",
    ],
    cwd: _ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - t0;
  if (out.code !== 0) {
    throw new Error(`backtest ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const log = await Deno.readTextFile(join(dst, "log.txt"));
  const rss = (re: RegExp) => {
    const values = [...log.matchAll(re)].map((m) => Number(m[1]));
    return values.length === 0 ? NaN : Math.max(...values);
  };
  return {
    wallMs,
    peakRssMib: rss(/peak RSS ([\d.]+) MiB/g),
    workerRssMib: rss(/\[worker pid \d+\] peak RSS ([\d.]+) MiB/g),
    stats: JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, unknown>,
  };
}

/** Two fresh runs; the faster one's figures (the machine is shared: wall times are noisy). */
async function _bestOf2(args: string[], dst: string): Promise<_Run> {
  const a = await _backtest(args, `${dst}.1`);
  const b = await _backtest(args, `${dst}.2`);
  return a.wallMs <= b.wallMs ? a : b;
}

/** Runs the backtest benchmarks on the shared 14-pair data in `dataDir`. */
export async function benchBacktest(dataDir: string): Promise<BenchFigure[]> {
  const bars = await sharedBars(dataDir);
  const tmp = await Deno.makeTempDir();
  try {
    const ts = bars.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
    const first = ts[0] as number;
    const last = ts[ts.length - 1] as number;
    const barMs = 300_000;
    const start = new Date(first - barMs).toISOString();
    const end = new Date(last).toISOString();
    const mid = first - barMs + Math.round((last - first) / 2 / 86_400_000) * 86_400_000;
    const full = join(tmp, "full.parquet");
    const half = join(tmp, "half.parquet");
    const store = join(tmp, "store");
    await writeSnapshot(bars, full, { createdAt: 0, timeframe: "5m" });
    await writeStore(bars, store, { timeframe: "5m" });
    const firstHalf = bars.filter(
      pl.col("timestamp").ltEq(pl.lit(mid).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"))),
    );
    await writeSnapshot(firstHalf, half, { createdAt: 0, timeframe: "5m" });
    const nAssets = bars.getColumn("asset_id").unique().length;
    const nBars = bars.height / nAssets;
    const common = ["--dag", "sma_cross", "--start", start, "--tile-freq", "month"];
    const w1 = await _bestOf2(
      [...common, "--data", full, "--end", end, "--workers", "1"],
      join(tmp, "w1"),
    );
    const w2 = await _bestOf2(
      [...common, "--data", full, "--end", end, "--workers", "2"],
      join(tmp, "w2"),
    );
    const st = await _backtest(
      [...common, "--data", store, "--end", end, "--workers", "1"],
      join(tmp, "st"),
    );
    const h1 = await _backtest(
      [...common, "--data", half, "--end", new Date(mid).toISOString(), "--workers", "1"],
      join(tmp, "h1"),
    );
    const h2 = await _backtest(
      [...common, "--data", half, "--end", new Date(mid).toISOString(), "--workers", "2"],
      join(tmp, "h2"),
    );
    const check = [
      "--dag",
      "sma_cross",
      "--data",
      store,
      "--start",
      start,
      "--end",
      end,
      "--symbols",
      "BTC/USDT",
    ];
    const money = [
      "--style",
      "signal",
      "--sizing",
      "equity",
      "--fee-bps",
      "0",
      "--initial-cash",
      "10000",
    ];
    const xClose = await _backtest([...check, ...money, "--fill", "close"], join(tmp, "x_close"));
    const xOpen = await _backtest([...check, ...money, "--fill", "next_open"], join(tmp, "x_open"));
    const assetBars = nAssets * nBars;
    const note = `${nAssets} pairs x ${nBars} bars, monthly tiles, Parquet snapshot; best of 2`;
    return [
      {
        name: "backtest sma_cross --workers 1, wall",
        value: Math.round(w1.wallMs),
        unit: "ms",
        note,
      },
      {
        name: "backtest sma_cross --workers 2, wall",
        value: Math.round(w2.wallMs),
        unit: "ms",
        note,
      },
      {
        name: "backtest sma_cross --workers 1, store input, wall",
        value: Math.round(st.wallMs),
        unit: "ms",
        note: "the same data as a store (asset x month partitions)",
      },
      {
        name: "backtest sma_cross --workers 1, throughput",
        value: Math.round(assetBars / (w1.wallMs / 1000)),
        unit: "asset-bars/s",
        note: "whole command, process start to exit",
      },
      {
        name: "backtest sma_cross --workers 1, peak RSS",
        value: Number(w1.peakRssMib.toFixed(1)),
        unit: "MiB",
        note: `half the data: ${h1.peakRssMib.toFixed(1)} MiB (x${
          (w1.peakRssMib / h1.peakRssMib).toFixed(2)
        } for 2x data)`,
      },
      {
        name: "backtest sma_cross --workers 2, peak RSS",
        value: Number(w2.peakRssMib.toFixed(1)),
        unit: "MiB",
        note: `half the data: ${h2.peakRssMib.toFixed(1)} MiB (x${
          (w2.peakRssMib / h2.peakRssMib).toFixed(2)
        } for 2x data)`,
      },
      {
        name: "backtest sma_cross --workers 2, tile workers' peak RSS",
        value: Number(w2.workerRssMib.toFixed(1)),
        unit: "MiB",
        note: `half the data: ${h2.workerRssMib.toFixed(1)} MiB (x${
          (w2.workerRssMib / h2.workerRssMib).toFixed(2)
        } for 2x data); the merge (parent) holds the whole period`,
      },
      {
        name: "cross-check sma_cross BTC/USDT, fill close",
        value: xClose.stats.final_net_wealth as number,
        unit: "USDT",
        note: "expected 8547.307975576705 (shared/data README)",
      },
      {
        name: "cross-check sma_cross BTC/USDT, fill next_open",
        value: xOpen.stats.final_net_wealth as number,
        unit: "USDT",
        note: "expected 8546.546086519387",
      },
    ];
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
