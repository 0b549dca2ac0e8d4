/**
 * Simulate figures on the shared 14-pair data: replay throughput (bars and asset-bars per
 * second of the replay loop — DAG, OMS, OMS database, log streams — as `run.json`'s
 * `replay_ms` reports it) of `sma_cross` and the cross-sectional model, the whole command's
 * wall time, and the peak RSS of a one-month run. Each run is a real `dagtrade simulate`
 * subprocess (event-driven, default options: SQLite in the run directory committed every 100
 * bars; once with a commit per bar) on a Parquet snapshot of the shared data written once in a
 * temp directory.
 */
import { join } from "node:path";
import { type BenchFigure, sharedBars } from "./_bench.ts";
import { writeSnapshot } from "../lib/sim/mod.ts";

const _ROOT = new URL("..", import.meta.url).pathname;

interface _Run {
  wallMs: number;
  replayMs: number;
  bars: number;
  peakRssMib: number;
}

async function _simulate(args: string[], dst: string): Promise<_Run> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(_ROOT, "main.ts"), "simulate", ...args, "--dst-dir", dst, "--quiet"],
    cwd: _ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - t0;
  if (out.code !== 0) {
    throw new Error(`simulate ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const run = JSON.parse(await Deno.readTextFile(join(dst, "run.json")));
  return {
    wallMs,
    replayMs: run.replay_ms,
    bars: run.bars_processed,
    peakRssMib: (run.peak_rss_bytes ?? NaN) / 2 ** 20,
  };
}

/** Runs the simulate benchmarks on the shared 14-pair data in `dataDir`. */
export async function benchSimulate(dataDir: string): Promise<BenchFigure[]> {
  const bars = await sharedBars(dataDir);
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "shared.parquet");
    await writeSnapshot(bars, data, { createdAt: 0, timeframe: "5m" });
    const nAssets = bars.getColumn("asset_id").unique().length;
    const common = ["--data", data, "--fee-bps", "1"];
    const week = ["--start", "2025-03-01", "--end", "2025-03-08"];
    const month = ["--start", "2025-03-01", "--end", "2025-03-31"];
    const sma = await _simulate(
      ["--dag", "sma_cross", ...common, ...week, "--sizing", "equity"],
      join(tmp, "sma"),
    );
    const cs = await _simulate(
      ["--dag", "cross_sectional", ...common, ...week, "--style", "cross_sectional"],
      join(tmp, "cs"),
    );
    const perBar = await _simulate(
      ["--dag", "sma_cross", ...common, ...week, "--sizing", "equity", "--db-commit-every", "1"],
      join(tmp, "sma_per_bar"),
    );
    const long = await _simulate(
      ["--dag", "sma_cross", ...common, ...month, "--sizing", "equity"],
      join(tmp, "month"),
    );
    const rate = (r: _Run) => Math.round(r.bars / (r.replayMs / 1000));
    const note = (r: _Run) =>
      `${nAssets} pairs x ${r.bars} bars; whole command ${Math.round(r.wallMs)} ms; target 1000`;
    return [
      {
        name: "simulate sma_cross replay throughput",
        value: rate(sma),
        unit: "bars/s",
        note: note(sma),
      },
      {
        name: "simulate sma_cross replay throughput (asset-bars)",
        value: rate(sma) * nAssets,
        unit: "asset-bars/s",
        note: "target 14000",
      },
      {
        name: "simulate cross_sectional replay throughput",
        value: rate(cs),
        unit: "bars/s",
        note: note(cs),
      },
      {
        name: "simulate cross_sectional replay throughput (asset-bars)",
        value: rate(cs) * nAssets,
        unit: "asset-bars/s",
        note: "target 14000",
      },
      {
        name: "simulate sma_cross --db-commit-every 1, replay",
        value: rate(perBar),
        unit: "bars/s",
        note: "one OMS database transaction (and fsync) per bar, as with --speed",
      },
      {
        name: "simulate sma_cross one month, peak RSS",
        value: Number(long.peakRssMib.toFixed(1)),
        unit: "MiB",
        note: `${nAssets} pairs x ${long.bars} bars at ${rate(long)} bars/s; whole command ${
          Math.round(long.wallMs / 1000)
        } s`,
      },
    ];
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
