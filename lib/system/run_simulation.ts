/**
 * `runSimulation`: `dagtrade simulate` end to end — the production system (`TradingSystem`) on
 * a replayed clock over a snapshot or store (DESIGN §1 mode table: replayed clock,
 * knowledge-time gated snapshot, simulated broker), writing a system log directory (§9).
 *
 * 1. Plan (nothing is written before the inputs are checked; every problem is exit 2): the
 *    `simulate` settings, then the backtest planner's checks (builder, config keys, symbols,
 *    range) — the same code as `backtest`, so the same options mean the same — and the
 *    coverage the replay needs: bars from `lookbackBars − 1` bars before the first bar (the
 *    DAG's warm-up, loaded before `start`) to `end`.
 * 2. Prepare `dstDir` (refused when it holds a run, unless `force`), write `run.json`
 *    (`running`) and `system_config.input.*`, open the OMS database and create the run.
 * 3. Replay: a `ReplayedClock` starting at `start` (event-driven, or paced with `speed`), a
 *    `FrameMarketData` with the knowledge delay, the fitted DAG in an `IncrementalRunner`, a
 *    `SimulatedBroker` and the `Optimizer` with the backtest's settings, a `Portfolio` stored in
 *    the OMS database; each bar is streamed to the log and recorded in the database.
 * 4. End — completed, interrupted (the signal: after the bar in flight) or failed: commit the
 *    database, consolidate the log to Parquet, compute the statistics exactly as `backtest` does
 *    (`statisticsFromMetrics` of the per-bar statistics), write `stats.json`,
 *    `system_config.output.*` and the final `run.json`.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import pl from "nodejs-polars";
import { Config, type JsonValue } from "../config/mod.ts";
import { ConfigError, DataError, UsageError } from "../errors/mod.ts";
import {
  type BacktestData,
  describeBacktestData,
  loadBacktestBars,
  peakRssBytes,
  planBacktest,
  readBacktestSettings,
} from "../backtest/mod.ts";
import { buildFittedDag, type DagOptions, getBuilder, IncrementalRunner } from "../dag/mod.ts";
import { IdCounter, Optimizer, Portfolio, SimulatedBroker } from "../oms/mod.ts";
import { type OmsDatabase, openOmsDatabase, resolveOmsDatabaseSpec } from "../oms/db/mod.ts";
import { type PortfolioStatistics, statisticsFromMetrics } from "../report/mod.ts";
import {
  type Clock,
  formatTime,
  formatTimeframe,
  FrameMarketData,
  ReplayedClock,
} from "../sim/mod.ts";
import { DeferredDbPortfolioStore } from "./deferred_db_portfolio_store.ts";
import { OmsCommitWorker } from "./oms_commit_worker.ts";
import { OmsRecorder } from "./oms_recorder.ts";
import { readSimulateSettings } from "./simulate_settings.ts";
import { SYSTEM_LOG_PATHS, SystemLog } from "./system_log.ts";
import { type SystemBar, TradingSystem } from "./trading_system.ts";

/** Progress of a simulation, after each bar. */
export interface SimulationProgress {
  /** Bars processed. */
  done: number;
  /** Bars of the run. */
  total: number;
  /** End of the bar just processed, epoch ms. */
  bar: number;
}

/** Options of `runSimulation`. */
export interface RunSimulationOptions {
  /** The system log directory. Required. */
  dstDir: string;
  /** The dagtrade version, written to `run.json`. Required. */
  version: string;
  /** A wall clock: `run.json` and `log.txt` times, elapsed time. Required. */
  wallClock: Clock;
  /** A monotonic ms timer for the DAG's node timings (`dag/profiling.csv`). Default: none (no profile). */
  timer?: (() => number) | undefined;
  /** Pace the replay at `speed` × real time. Default: event-driven, as fast as possible. */
  speed?: number | undefined;
  /** OMS database spec (`--db`): a SQLite path or `postgres://…`. Default: `<dstDir>/oms.sqlite`. */
  db?: string | undefined;
  /** The run's id in the OMS database. Default: `simulate-<dag>-<first 12 hex of the config hash>`. */
  runId?: string | undefined;
  /** Dump every node's output of every bar under `dag/node_io/`. Default: false. */
  saveNodeIo?: boolean | undefined;
  /** Replace a run already in `dstDir`. Default: false (refused, exit 2). */
  force?: boolean | undefined;
  /** Commit the OMS database every this many bars. Default: 1. */
  commitEveryBars?: number | undefined;
  /**
   * Commit the OMS database on a worker thread with its own connection (`OmsCommitWorker`),
   * overlapping each commit with the next bars. Default: true for an event-driven replay
   * (false when paced, and for an in-memory SQLite database, which a second connection
   * cannot see).
   */
  dbWorker?: boolean | undefined;
  /** Rewrite `run.json` every this many bars. Default: 100. */
  runJsonEveryBars?: number | undefined;
  /** Force the log streams to disk every this many bars (0: only at the end). Default: 0. */
  syncEveryBars?: number | undefined;
  /** Stops the replay after the bar in flight (status `interrupted`). Default: none. */
  signal?: AbortSignal | undefined;
  /** Called after each bar. Default: none. */
  onProgress?: ((progress: SimulationProgress) => void) | undefined;
  /** Called with every log message (e.g. to echo it on stderr). Default: none. */
  echo?: ((message: string) => void) | undefined;
  /** Check the snapshot against the sha256 of its meta file. Default: true. */
  verifyData?: boolean | undefined;
}

/** What `runSimulation` did. */
export interface SimulationResult {
  /** `completed`, or `interrupted` (stopped by the signal after the bar in flight). */
  status: "completed" | "interrupted";
  /** The statistics (also in `stats.json`), with backtest's keys. */
  stats: PortfolioStatistics;
  /** The run id in the OMS database. */
  runId: string;
  /** The DAG's name. */
  dag: string;
  /** The full symbols replayed, ascending asset id. */
  fullSymbols: readonly string[];
  /** Bars processed / bars of the run. */
  barsProcessed: number;
  /** Bars of the run. */
  barsTotal: number;
  /** Exclusive start and inclusive end of the bar ends, epoch ms. */
  start: number;
  /** Inclusive end of the bar ends, epoch ms. */
  end: number;
  /** Where the OMS database is (no password). */
  dbLocation: string;
}

/** Runs a simulation of the effective config `config` (see the module documentation). */
export async function runSimulation(
  config: Config,
  options: RunSimulationOptions,
): Promise<SimulationResult> {
  const inputConfig = config.copy();
  const plan = await _plan(config, options.verifyData ?? true);
  const { settings: s, builder, data } = plan;
  const barMs = data.barMs;
  const configHash = createHash("sha256").update(inputConfig.toJSONString()).digest("hex");
  const runId = options.runId ?? `simulate-${builder.name}-${configHash.slice(0, 12)}`;
  if (!/^[A-Za-z0-9_.:-]+$/.test(runId)) {
    throw new UsageError(`Invalid run id '${runId}': use letters, digits and _ . : -`);
  }
  const wall = options.wallClock;
  const dstDir = options.dstDir;

  // Data: the fit window (fitted models), then the replay window with the DAG's warm-up.
  const fitBars = plan.fitInterval === undefined ? undefined : await loadBacktestBars(data, {
    start: plan.fitInterval[0],
    end: plan.fitInterval[1],
    assetIds: plan.assetIds,
  });
  const bars = await loadBacktestBars(data, {
    start: plan.loadStart,
    end: plan.lastBar,
    assetIds: plan.assetIds,
  });
  _checkKnowledgeLag(bars, barMs, plan.knowledgeDelayMs);
  await _prepareDir(dstDir, options.force ?? false);

  const log = await SystemLog.create(dstDir, {
    barMs,
    clock: wall,
    syncEveryBars: options.syncEveryBars,
    echo: options.echo,
  });
  const t0 = wall.now();
  const runInfo: Record<string, JsonValue> = {
    mode: "simulate",
    version: options.version,
    run_id: runId,
    dag: builder.name,
    config_hash: configHash,
    start: new Date(s.start).toISOString(),
    end: new Date(s.end).toISOString(),
    first_bar: new Date(plan.firstBar).toISOString(),
    last_bar: new Date(plan.lastBar).toISOString(),
    bar: formatTimeframe(barMs),
    bar_ms: barMs,
    data: s.data,
    symbols: [...plan.fullSymbols],
    knowledge_delay_ms: plan.knowledgeDelayMs,
    speed: options.speed ?? null,
    db: null,
    status: "running",
    exit_reason: null,
    bars_total: plan.barsTotal,
    bars_processed: 0,
    last_processed_bar: null,
    started_at: new Date(t0).toISOString(),
    updated_at: new Date(t0).toISOString(),
    ended_at: null,
    elapsed_ms: 0,
  };
  const updateRunInfo = async (changes: Record<string, JsonValue>): Promise<void> => {
    Object.assign(runInfo, changes);
    const now = wall.now();
    runInfo["updated_at"] = new Date(now).toISOString();
    runInfo["elapsed_ms"] = Math.round(now - t0);
    await log.writeRunInfo(runInfo);
  };
  await log.writeRunInfo(runInfo);
  await log.writeConfig("input", inputConfig);

  let db: OmsDatabase | undefined;
  let opening: Promise<OmsCommitWorker | undefined> | undefined;
  let worker: OmsCommitWorker | undefined;
  let recorder: OmsRecorder | undefined;
  const clock = new ReplayedClock(
    s.start,
    options.speed === undefined ? {} : { speed: options.speed },
  );
  try {
    db = await openOmsDatabase(options.db, { runDir: dstDir });
    runInfo["db"] = db.location;
    if (await db.getRun(runId) !== undefined) {
      throw new UsageError(
        `Run '${runId}' already exists in the OMS database ${db.location}; pass another ` +
          `--run-id, or another --db`,
      );
    }
    await db.putRun({
      id: runId,
      mode: "simulate",
      strategy: builder.name,
      configHash,
      start: s.start,
      end: s.end,
      status: "running",
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    await log.info(
      `simulate ${builder.name} on ${s.data} ${_range(s.start, s.end)}: ${plan.barsTotal} bars x ` +
        `${plan.fullSymbols.length} assets (${plan.fullSymbols.join(", ")}), lookback ` +
        `${plan.lookbackBars} bars, knowledge delay ${plan.knowledgeDelayMs} ms, ` +
        `${options.speed === undefined ? "event-driven" : `paced x${options.speed}`}; ` +
        `style ${s.style}, sizing ${s.sizing}, fill ${s.fill}, fee ${s.feeBps} bps; db ${db.location}`,
    );
    if (plan.fitInterval !== undefined && plan.fitInterval[1] > s.start) {
      await log.info(
        `warning: the model is fitted on ${_range(...plan.fitInterval)}, which ends after the ` +
          `start: the predictions up to its end are in-sample`,
      );
    }

    // The commit worker starts while the model is built.
    opening = _openWorker(options, dstDir, log);
    const dagOptions: DagOptions = {};
    if (options.timer !== undefined) dagOptions.timer = options.timer;
    if (options.saveNodeIo) {
      dagOptions.nodeIoDir = join(dstDir, SYSTEM_LOG_PATHS.nodeIo);
      await Deno.mkdir(dagOptions.nodeIoDir, { recursive: true });
    }
    const dag = buildFittedDag(builder, plan.dagConfig, {
      ...(fitBars === undefined ? {} : { bars: fitBars }),
      barMs,
      dagOptions,
    });
    // Every config leaf the run reads has been read (and marked) by now.
    await log.writeConfig("output", config);
    const marketData = new FrameMarketData(bars, clock, {
      barMs,
      delayMs: plan.knowledgeDelayMs,
    });
    const runner = new IncrementalRunner(dag, marketData, { lookbackBars: plan.lookbackBars });
    const store = new DeferredDbPortfolioStore(db, runId);
    // Every asset with bars from the start (as the forecast evaluator's dense grid).
    const assetIds = marketData.assetIds();
    const portfolio = new Portfolio({ initialCash: s.initialCash, assetIds, store });
    const optimizer = new Optimizer({
      style: s.style,
      sizing: s.sizing,
      targetGmv: s.targetGmv ?? s.initialCash,
      feeBps: s.feeBps,
      orderType: s.fill,
    });
    const broker = new SimulatedBroker(marketData, {
      feeBps: s.feeBps,
      sizer: optimizer.atFillSizer(portfolio),
    });
    worker = await opening;
    recorder = new OmsRecorder(db, {
      runId,
      strategyId: builder.name,
      portfolioStore: store,
      commitEveryBars: options.commitEveryBars,
      worker,
    });
    const rec = recorder;
    const runJsonEvery = options.runJsonEveryBars ?? 100;
    const system = new TradingSystem({
      marketData,
      runner,
      oms: {
        broker,
        portfolio,
        optimizer,
        orderIds: new IdCounter(),
        columns: plan.columns,
      },
      firstBar: plan.firstBar,
      lastBar: plan.lastBar,
      onBar: async (bar: SystemBar) => {
        const t = bar.timestamp;
        // The first bar also logs the warm-up window the DAG was fed (as JS columns: no
        // Polars call).
        const from = bar.index === 1 ? plan.loadStart : t - barMs;
        await log.writeBar(bar, { bars: marketData.getColumns(from, t) });
        await rec.recordBar(bar.oms);
        if (bar.index % runJsonEvery === 0) {
          await updateRunInfo({
            bars_processed: bar.index,
            last_processed_bar: new Date(t).toISOString(),
          });
        }
        options.onProgress?.({ done: bar.index, total: plan.barsTotal, bar: t });
      },
    });
    const replayStart = wall.now();
    const result = await system.run({
      signal: options.signal,
      runTasks: (main) => clock.run(main),
    });
    await recorder.flush();
    const replayMs = wall.now() - replayStart;
    const { statistics } = await log.consolidate();
    const consolidateMs = wall.now() - replayStart - replayMs;
    const stats = statisticsFromMetrics(statistics, { barMs, initialCash: s.initialCash });
    await log.writeStats(stats);
    const status = result.interrupted ? "interrupted" : "completed";
    const reason = result.interrupted
      ? `interrupted (signal) after ${result.barsProcessed} of ${plan.barsTotal} bars`
      : `all ${plan.barsTotal} bars processed`;
    await db.updateRun(runId, { status, updatedAt: clock.now() });
    const rss = peakRssBytes();
    await log.info(
      `${status}: ${result.barsProcessed} bars replayed in ${Math.round(replayMs)} ms (` +
        `${Math.round(result.barsProcessed / Math.max(replayMs, 1) * 1000)} bars/s), logs ` +
        `consolidated in ${Math.round(consolidateMs)} ms` +
        (rss === undefined ? "" : `, peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`) +
        `; final net wealth ${stats.final_net_wealth}`,
    );
    await updateRunInfo({
      replay_ms: Math.round(replayMs),
      consolidate_ms: Math.round(consolidateMs),
      peak_rss_bytes: rss ?? null,
      status,
      exit_reason: reason,
      bars_processed: result.barsProcessed,
      last_processed_bar: result.lastBar === undefined
        ? null
        : new Date(result.lastBar).toISOString(),
      ended_at: new Date(wall.now()).toISOString(),
    });
    return {
      status,
      stats,
      runId,
      dag: builder.name,
      fullSymbols: plan.fullSymbols,
      barsProcessed: result.barsProcessed,
      barsTotal: plan.barsTotal,
      start: s.start,
      end: s.end,
      dbLocation: db.location,
    };
  } catch (error) {
    await _fail(error, { log, db, recorder, runId, clock, updateRunInfo });
    throw error;
  } finally {
    worker ??= await opening?.catch(() => undefined);
    await worker?.close().catch(() => {});
    await db?.close().catch(() => {});
  }
}

/**
 * The commit worker `options` ask for (see `dbWorker`), or `undefined`; when it cannot start,
 * the run commits inline (and says so in the log). Never rejects.
 */
async function _openWorker(
  options: RunSimulationOptions,
  dstDir: string,
  log: SystemLog,
): Promise<OmsCommitWorker | undefined> {
  try {
    const target = resolveOmsDatabaseSpec(options.db, { runDir: dstDir });
    const memory = target.kind === "sqlite" && target.path === ":memory:";
    if (!(options.dbWorker ?? options.speed === undefined) || memory) return undefined;
    return await OmsCommitWorker.open(options.db, { runDir: dstDir });
  } catch (error) {
    await log.info(`OMS commits run inline: the commit worker did not start (${_message(error)})`)
      .catch(() => {});
    return undefined;
  }
}

/** Records a failure everywhere it can (best effort: the original error matters). */
async function _fail(
  error: unknown,
  ctx: {
    log: SystemLog;
    db: OmsDatabase | undefined;
    recorder: OmsRecorder | undefined;
    runId: string;
    clock: Clock;
    updateRunInfo: (changes: Record<string, JsonValue>) => Promise<void>;
  },
): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch {
      // Best effort: the run already failed.
    }
  };
  await quiet(() => ctx.recorder?.flush() ?? Promise.resolve());
  await quiet(() => ctx.log.consolidate());
  await quiet(() =>
    ctx.db?.updateRun(ctx.runId, { status: "failed", updatedAt: ctx.clock.now() }) ??
      Promise.resolve()
  );
  await quiet(() => ctx.log.info(`failed: ${message}`));
  const last = ctx.log.lastCompleteBar;
  await quiet(() =>
    ctx.updateRunInfo({
      status: "failed",
      exit_reason: message,
      bars_processed: ctx.log.barsWritten,
      last_processed_bar: last === undefined ? null : new Date(last).toISOString(),
      ended_at: new Date(ctx.clock.now()).toISOString(),
    })
  );
}

/** What the replay needs, all checked before anything is written. */
interface _Plan {
  settings: ReturnType<typeof readBacktestSettings>;
  builder: ReturnType<typeof getBuilder>;
  dagConfig: Config;
  data: BacktestData;
  fullSymbols: readonly string[];
  assetIds: readonly number[];
  lookbackBars: number;
  columns: { price: string; volatility: string; prediction: string };
  fitInterval: readonly [number, number] | undefined;
  knowledgeDelayMs: number;
  firstBar: number;
  lastBar: number;
  barsTotal: number;
  /** Bars are loaded for `(loadStart, lastBar]`: the first bar's lookback window onwards. */
  loadStart: number;
}

async function _plan(config: Config, verifyData: boolean): Promise<_Plan> {
  const { knowledgeDelayMs } = readSimulateSettings(config);
  const unknown = config.unusedLeaves().filter((k) =>
    !/^(dag_builder$|dag\.|backtest\.|simulate\.)/.test(k)
  );
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown config keys: ${unknown.join(", ")}; simulate reads dag_builder, dag.* (the ` +
        `model), backtest.* (data, range, symbols, portfolio settings) and simulate.*`,
    );
  }
  // The coverage the replay needs, with simulate's own message, before the shared planner.
  const probe = readBacktestSettings(config.copy());
  const data = await describeBacktestData(probe.data, { verify: verifyData });
  const barMs = data.barMs;
  const firstBar = Math.floor(probe.start / barMs) * barMs + barMs;
  const lastBar = Math.floor(probe.end / barMs) * barMs;
  if (firstBar > lastBar) {
    throw new UsageError(
      `The range ${_range(probe.start, probe.end)} holds no ${formatTimeframe(barMs)} bar end; ` +
        `widen --start/--end`,
    );
  }
  let lookback: number | undefined;
  try {
    const builder = getBuilder(probe.dagBuilder);
    const dag = config.get("dag", { default: undefined });
    if (dag instanceof Config) lookback = builder.lookbackBars(dag.copy());
  } catch {
    lookback = undefined; // the planner below reports a bad model config properly
  }
  if (lookback !== undefined) _checkCoverage(data, firstBar, lastBar, lookback, probe.data);

  const plan = await planBacktest(config, { verifyData: false });
  const lookbackBars = plan.lookbackBars;
  _checkCoverage(plan.data, firstBar, lastBar, lookbackBars, probe.data);
  return {
    settings: plan.settings,
    builder: plan.builder,
    dagConfig: plan.dagConfig,
    data: plan.data,
    fullSymbols: plan.fullSymbols,
    assetIds: plan.assetIds,
    lookbackBars,
    columns: { ...plan.columns },
    fitInterval: plan.fitInterval,
    knowledgeDelayMs,
    firstBar,
    lastBar,
    barsTotal: (lastBar - firstBar) / barMs + 1,
    loadStart: firstBar - lookbackBars * barMs,
  };
}

/** Throws `DataError` (exit 2) when the data does not hold the warm-up and every bar of the run. */
function _checkCoverage(
  data: BacktestData,
  firstBar: number,
  lastBar: number,
  lookbackBars: number,
  path: string,
): void {
  const barMs = data.barMs;
  const needFrom = firstBar - (lookbackBars - 1) * barMs;
  const source = `${data.kind === "store" ? "store" : "snapshot"} ${path}`;
  if (data.first === undefined || data.last === undefined) {
    throw new DataError(`Cannot simulate on ${source}: it holds no bars`);
  }
  const missing: string[] = [];
  if (data.first > needFrom) {
    missing.push(
      `the ${lookbackBars - 1} bars of warm-up before the first bar (the model's lookback is ` +
        `${lookbackBars} bars): bars from ${formatTime(needFrom)} are needed but the data starts ` +
        `at ${formatTime(data.first)}`,
    );
  }
  if (data.last < lastBar) {
    missing.push(
      `bars up to ${formatTime(lastBar)} are needed but the data ends at ${formatTime(data.last)}`,
    );
  }
  if (missing.length > 0) {
    const earliest = data.first + (lookbackBars - 2) * barMs;
    throw new DataError(
      `Cannot simulate ${_range(firstBar - barMs, lastBar)} on ${source} (bar ends ` +
        `${formatTime(data.first)} .. ${formatTime(data.last)}): ${missing.join("; ")}; ` +
        `choose --start at or after ${formatTime(earliest)} and --end at or before ` +
        `${formatTime(data.last)}, or use data that covers the range`,
    );
  }
}

/** Refuses a knowledge delay that makes every bar known after the next bar's end. */
function _checkKnowledgeLag(bars: pl.DataFrame, barMs: number, delayMs: number): void {
  if (bars.height === 0) return;
  const lag = bars.select(
    pl.col("knowledge_timestamp").cast(pl.Int64).sub(pl.col("timestamp").cast(pl.Int64)).max()
      .alias("lag"),
  ).getColumn("lag").get(0) as unknown;
  const lagMs = Number(lag) + delayMs;
  if (lagMs >= barMs) {
    throw new UsageError(
      `Bars become known up to ${lagMs} ms after they end (the data's knowledge lag plus ` +
        `--knowledge-delay ${delayMs} ms), not before the next bar ends (${barMs} ms): the ` +
        `system could not trade any bar; use a knowledge delay under ${barMs - Number(lag)} ms`,
    );
  }
}

/** Creates `dir`, refusing one that holds a run unless `force` (then clears the run's files). */
async function _prepareDir(dir: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UsageError(`Cannot use --dst-dir ${dir}: ${_message(error)}`, { cause: error });
    }
  }
  entries = entries.filter((e) => !e.startsWith("."));
  if (entries.length > 0 && !force) {
    const what = entries.includes(SYSTEM_LOG_PATHS.runJson)
      ? "holds a run (run.json)"
      : `is not empty (${entries.slice(0, 5).join(", ")}${entries.length > 5 ? ", ..." : ""})`;
    throw new UsageError(
      `--dst-dir ${dir} ${what}; use a new directory, or --force to replace the run's files`,
    );
  }
  if (force) {
    const top = [
      SYSTEM_LOG_PATHS.runJson,
      SYSTEM_LOG_PATHS.configInputTxt,
      SYSTEM_LOG_PATHS.configInputJson,
      SYSTEM_LOG_PATHS.configOutputTxt,
      SYSTEM_LOG_PATHS.configOutputJson,
      SYSTEM_LOG_PATHS.marketData,
      SYSTEM_LOG_PATHS.statsJson,
      SYSTEM_LOG_PATHS.logTxt,
      "dag",
      "process_forecasts",
      "oms.sqlite",
      "oms.sqlite-wal",
      "oms.sqlite-shm",
    ];
    for (const name of top) {
      await Deno.remove(join(dir, name), { recursive: true }).catch(() => {});
    }
  }
  await Deno.mkdir(dir, { recursive: true });
}

function _range(start: number, end: number): string {
  return `(${formatTime(start)}, ${formatTime(end)}]`;
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
