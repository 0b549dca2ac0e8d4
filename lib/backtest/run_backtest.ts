/**
 * `runBacktest`: one backtest command run, end to end — plan, check the directory's config,
 * optionally check causality, run this run's pending tiles (in process, or in a pool of worker
 * processes), then merge when this run covers every tile. Finished tiles (valid marker) are
 * skipped and never recomputed. A shard run (`shard` with N > 1) runs its tiles only; the
 * merge is then its own step (`mergeOnly`), once every shard is done.
 */
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { DagtradeError, FuturePeekingError, InterruptedError, UsageError } from "../errors/mod.ts";
import { checkCausality, formatCausalityReport } from "../dag/mod.ts";
import type { Clock } from "../sim/mod.ts";
import type { PortfolioStatistics } from "../report/mod.ts";
import { loadBacktestBars } from "./backtest_data.ts";
import { BACKTEST_FILES, prepareBacktestDir, readBacktestDirConfig } from "./backtest_dir.ts";
import { BacktestLog, peakRssBytes } from "./backtest_log.ts";
import { type BacktestPlan, planBacktest, type PlanBacktestOptions } from "./backtest_plan.ts";
import { mergeBacktest } from "./merge_backtest.ts";
import { formatShard, selectShard, type ShardSpec } from "./shard_spec.ts";
import { tileStatus } from "./tile_marker.ts";
import type { Tile } from "./tile_plan.ts";
import { TileRunner } from "./tile_runner.ts";
import { runTileWorker } from "./tile_worker.ts";
import { runWorkerPool, type WorkerCommand } from "./worker_pool.ts";
import { _formatRange } from "./_format.ts";

/** Progress of a run over its tiles. */
export interface BacktestProgress {
  /** Tiles of this run done (skipped ones included). */
  done: number;
  /** Tiles of this run. */
  total: number;
  /** The tile that just finished, when one did. */
  tileId?: string;
}

/** Options of `runBacktest`. */
export interface RunBacktestOptions {
  /** The backtest directory. Required. */
  dstDir: string;
  /** The run's clock (log lines, durations). Required. */
  clock: Clock;
  /** Accept a config different from the directory's (see `prepareBacktestDir`). Default: false. */
  force?: boolean;
  /** Run only this shard's tiles. Default: every tile. */
  shard?: ShardSpec | undefined;
  /** Only merge the finished tiles of an existing directory. Default: false. */
  mergeOnly?: boolean;
  /** Worker processes for the tiles; 1 runs them in this process. Default: 1. */
  workers?: number;
  /** The command line of worker `i` (needed when `workers > 1`): `backtest --worker --dst-dir <dst>`. */
  workerCommand?: ((index: number) => WorkerCommand) | undefined;
  /** Run the builder's causality check on the first tile's period before any tile. Default: false. */
  checkCausality?: boolean;
  /** Stops the run after the tiles in flight (`InterruptedError`). Default: none. */
  signal?: AbortSignal | undefined;
  /** Progress over the run's tiles. Default: none. */
  onProgress?: ((progress: BacktestProgress) => void) | undefined;
  /** Echo of every log message (e.g. to stderr). Default: none. */
  echo?: ((message: string) => void) | undefined;
  /** Stderr lines of worker processes. Default: dropped. */
  onWorkerStderr?: ((line: string, worker: number) => void) | undefined;
  /** Planning options. Default: none. */
  plan?: PlanBacktestOptions;
}

/** What `runBacktest` did. */
export interface BacktestRunResult {
  /** The plan. */
  plan: BacktestPlan;
  /** Tiles of this run (the shard's, or all). */
  tilesInRun: number;
  /** Tiles found finished and skipped. */
  tilesSkipped: number;
  /** Tiles computed by this run. */
  tilesComputed: number;
  /** The statistics, when this run merged. */
  stats: PortfolioStatistics | undefined;
}

/** Runs a backtest of the effective config `config` (see the module documentation). */
export async function runBacktest(
  config: Config,
  options: RunBacktestOptions,
): Promise<BacktestRunResult> {
  const { dstDir, clock } = options;
  const shard = options.shard;
  const plan = await planBacktest(config, options.plan ?? {});
  const role = shard !== undefined && shard.count > 1 ? `shard ${formatShard(shard)}` : "main";
  const log = new BacktestLog(dstDir, { clock, role, echo: options.echo });
  await prepareBacktestDir(dstDir, config, { force: options.force ?? false }).then(
    async (prepared) => {
      if (prepared.changes !== "") await log.info(`config changed (--force):\n${prepared.changes}`);
    },
  );
  if (plan.unusedKeys.length > 0) {
    await log.info(
      `warning: config keys not used by dag '${plan.builder.name}': ${plan.unusedKeys.join(", ")}`,
    );
  }
  if (plan.fitInterval !== undefined && plan.fitInterval[1] > plan.settings.start) {
    await log.info(
      `warning: the model is fitted on ${
        _formatRange(...plan.fitInterval)
      }, which ends after the ` +
        `backtest start: the predictions up to its end are in-sample`,
    );
  }
  const s = plan.settings;
  const result: BacktestRunResult = {
    plan,
    tilesInRun: 0,
    tilesSkipped: 0,
    tilesComputed: 0,
    stats: undefined,
  };
  if (options.mergeOnly) {
    await log.info(`merge: ${plan.tiles.length} tiles`);
    result.stats = await _merge(plan, dstDir, log, clock);
    await _logRss(log);
    return result;
  }
  await log.info(
    `backtest ${plan.builder.name} on ${plan.data.path} ${_formatRange(s.start, s.end)}, ` +
      `${plan.assetIds.length} assets, ${plan.tiles.length} tiles (${s.tileFreq}` +
      `${
        s.assetTileSize === undefined ? "" : ` x ${s.assetTileSize} assets`
      }), lookback ${plan.lookbackBars} bars`,
  );
  if (options.checkCausality) await _checkCausality(plan, log);

  const tiles = shard === undefined ? [...plan.tiles] : selectShard(plan.tiles, shard);
  const runner = new TileRunner(plan, dstDir, { clock });
  const pending: Tile[] = [];
  for (const tile of tiles) {
    const status = await tileStatus(dstDir, tile, { configHash: runner.configHash(tile) });
    if (!status.done) pending.push(tile);
  }
  result.tilesInRun = tiles.length;
  result.tilesSkipped = tiles.length - pending.length;
  await log.info(
    `${tiles.length} tiles in this run: skipped ${result.tilesSkipped} finished tiles, ${pending.length} to compute`,
  );
  let done = result.tilesSkipped;
  options.onProgress?.({ done, total: tiles.length });
  const finished = (tileId: string) => {
    done++;
    result.tilesComputed++;
    options.onProgress?.({ done, total: tiles.length, tileId });
  };
  const workers = Math.min(options.workers ?? 1, pending.length);
  if (workers > 1) {
    if (options.workerCommand === undefined) {
      throw new DagtradeError("runBacktest: workerCommand is required with workers > 1");
    }
    await log.info(`running ${pending.length} tiles in ${workers} worker processes`);
    await runWorkerPool(pending.map((t) => t.id), {
      workers,
      command: options.workerCommand,
      signal: options.signal,
      onStderr: options.onWorkerStderr,
      onTileDone: (d) => finished(d.tile),
    });
  } else {
    for (const tile of pending) {
      if (options.signal?.aborted) {
        throw new InterruptedError(
          `Interrupted after ${result.tilesComputed} tiles; re-run the same command to resume`,
        );
      }
      const marker = await runner.run(tile);
      await log.info(`tile ${tile.id} done: ${marker.rows} rows in ${marker.elapsedMs} ms`);
      finished(tile.id);
    }
  }
  if (shard === undefined || shard.count === 1) {
    result.stats = await _merge(plan, dstDir, log, clock);
  } else {
    await log.info(`shard ${formatShard(shard)} done; merge with --merge once every shard is done`);
  }
  await _logRss(log);
  return result;
}

async function _merge(
  plan: BacktestPlan,
  dstDir: string,
  log: BacktestLog,
  clock: Clock,
): Promise<PortfolioStatistics> {
  const t0 = clock.now();
  const merged = await mergeBacktest(plan, dstDir);
  await log.info(
    `merged ${merged.forecastRows} forecast rows (${merged.months} months in ${merged.chunks} chunks) into the portfolio in ${
      clock.now() - t0
    } ms` +
      (merged.pruned > 0 ? `; pruned ${merged.pruned} stale files` : "") +
      `; final net wealth ${merged.stats.final_net_wealth}`,
  );
  return merged.stats;
}

/** Logs the process's peak RSS. */
async function _logRss(log: BacktestLog): Promise<void> {
  const rss = peakRssBytes();
  if (rss !== undefined) await log.info(`peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
}

/** The number of bars of the first time tile checked by `--check-causality` at most. */
const _CAUSALITY_BARS = 200;

async function _checkCausality(plan: BacktestPlan, log: BacktestLog): Promise<void> {
  const first = plan.tiles[0] as Tile;
  const barMs = plan.data.barMs;
  const bars = await loadBacktestBars(plan.data, {
    start: Math.min(first.start, plan.fitInterval?.[0] ?? Infinity) - plan.lookbackBars * barMs,
    end: Math.max(first.end, plan.fitInterval?.[1] ?? -Infinity),
    assetIds: plan.assetIds,
  });
  const nBars = Math.round((first.end - first.start) / barMs);
  const stride = Math.max(1, Math.ceil(nBars / _CAUSALITY_BARS));
  const report = checkCausality(plan.builder, plan.dagConfig.copy(), bars, {
    start: first.start,
    end: first.end,
    stride,
    barMs,
  });
  const text = formatCausalityReport(report);
  await log.info(`${text} (every ${stride} bars of tile ${first.id})`);
  if (!report.ok) {
    throw new FuturePeekingError(
      `Causality check failed for dag '${plan.builder.name}': ${text}; fix the node (or its declared lookback) before backtesting`,
    );
  }
}

/** Options of `runBacktestWorker`. */
export interface RunBacktestWorkerOptions {
  /** The backtest directory (its `config.json` is the config). Required. */
  dstDir: string;
  /** The run's clock. Required. */
  clock: Clock;
  /** Tile ids, one per line, until it closes (the parent's pipe). Required. */
  input: ReadableStream<Uint8Array>;
  /** Writes one answer line per finished tile. Required. */
  output: (line: string) => void;
  /** Stops the worker before its next tile. Default: none. */
  signal?: AbortSignal | undefined;
}

/**
 * The worker process of `runBacktest` with `workers > 1`: plans from `<dstDir>/config.json`
 * (written by the parent) and runs the tile ids it is handed (`runTileWorker`). Returns the
 * number of tiles it ran.
 */
export async function runBacktestWorker(options: RunBacktestWorkerOptions): Promise<number> {
  const { dstDir, clock } = options;
  const config = await readBacktestDirConfig(dstDir);
  if (config === undefined) {
    throw new UsageError(
      `--worker needs ${
        join(dstDir, BACKTEST_FILES.configJson)
      } (it is started by 'backtest --workers N'); run backtest without --worker`,
    );
  }
  const plan = await planBacktest(config, { verifyData: false });
  const log = new BacktestLog(dstDir, { clock, role: "worker" });
  const runner = new TileRunner(plan, dstDir, { clock });
  const count = await runTileWorker(runner, options.input, {
    output: options.output,
    signal: options.signal,
    onTileDone: (d) => log.info(`tile ${d.tile} done: ${d.rows} rows in ${d.elapsed_ms} ms`),
  });
  await log.info(`worker done: ${count} tiles`);
  await _logRss(log);
  return count;
}
