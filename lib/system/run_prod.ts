/**
 * `runProd`: `dagtrade run-prod` end to end — the production system (`TradingSystem`) on the
 * run's clock, on bars polled live from an exchange (`CcxtMarketData`), executing through the
 * mode's `ProdExecution` (paper: the simulated broker; prod: the ccxt broker), with pre-trade
 * risk controls, startup recovery and reconciliation, writing a system log directory (DESIGN
 * §9) filed by `prodRunDir`. The clock, the exchange and the execution are injected, so tests
 * run the same code on a replayed clock against an in-process exchange emulator.
 *
 * 1. **Plan** (nothing written before the inputs are checked; exit 2): the settings, the model
 *    (a dry build), the run directory — new, or an earlier session of the same run (same
 *    identity hash; not completed) to resume —, then the run lock (`.run.lock`).
 * 2. **Open**: `run.json` (`running`, session n), `system_config.input.*`, the OMS database and
 *    the run's row, the market data (markets loaded, symbols checked), the fitted DAG.
 * 3. **Recover and reconcile** (before any order): the orders an earlier session left open are
 *    resolved by the execution (prod: on the exchange, from the broker journal; their fills are
 *    applied with the first bar); the positions the database expects (the portfolio after its
 *    last committed bar + the recovered fills) are compared with the account
 *    (`reconcileStartup`). A mismatch is reported (log.txt, stderr, `run.json`
 *    `startup_reconciliation`) and refused (`UsageError`, exit 2) unless `adoptExchangeState`:
 *    then the portfolio starts from the account's positions. A kill-switch file present at
 *    start stops the run before it trades.
 * 4. **Trade**: every bar end from the first bar after `start` (after the last committed bar,
 *    and not more than half a bar in the past: older bars are not traded late) to the last at or
 *    before `end`,
 *    as `simulate` does, each bar committed to the database, then appended to the log. Orders
 *    pass the `RiskControls` first; each trip is logged and kept in `run.json` `risk_trips`.
 * 5. **Stop**: after the last bar, on the signal (SIGINT/SIGTERM: the wait for a bar is
 *    abandoned at once, a bar in flight is finished), or on a stopping risk trip: the broker is
 *    closed (open orders cancelled; filled parts become fills), late fills are applied in a
 *    settlement bar (the next bar end, marked at the last known closes), the database is
 *    committed, the log consolidated, `stats.json` and the final `run.json` written (status
 *    `completed`, `interrupted`, `stopped`, or `failed` with the error).
 *
 * Secrets (`secrets`) are masked in every message it writes or echoes.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import pl from "nodejs-polars";
import type { Config, JsonValue } from "../config/mod.ts";
import { ConfigError, DataError, InterruptedError, UsageError } from "../errors/mod.ts";
import { describeBacktestData, loadBacktestBars } from "../backtest/mod.ts";
import {
  buildFittedDag,
  type DagBuilder,
  type DagColumnNames,
  type DagOptions,
  getBuilder,
  IncrementalRunner,
  type TimeInterval,
} from "../dag/mod.ts";
import {
  type Broker,
  type CancelOrdersOptions,
  ccxtExchangeLimits,
  ccxtMarketRules,
  type CcxtMarketsSource,
  type Fill,
  IdCounter,
  Optimizer,
  Order,
  Portfolio,
  type PortfolioBarRecord,
  type PortfolioState,
  type PortfolioStore,
  type ProcessForecastsBar,
  type SubmitOrdersOptions,
} from "../oms/mod.ts";
import {
  type OmsDatabase,
  openOmsDatabase,
  type OrderRow,
  orderToRow,
  submitOrderBatch,
  tradeDateOf,
} from "../oms/db/mod.ts";
import { type PortfolioStatistics, statisticsFromMetrics } from "../report/mod.ts";
import {
  assetIdOf,
  CcxtMarketData,
  ccxtSymbolOf,
  type Clock,
  formatTime,
  formatTimeframe,
  type OhlcvExchange,
  readReceivedBars,
} from "../sim/mod.ts";
import { atomicWriteWith } from "../fs/mod.ts";
import { redactSecrets } from "./api_keys.ts";
import { DecisionLatency, type DecisionLatencySummary } from "./decision_latency.ts";
import { DeferredDbPortfolioStore } from "./deferred_db_portfolio_store.ts";
import { OmsRecorder } from "./oms_recorder.ts";
import type { RecoveredParent } from "./parent_order_recovery.ts";
import type { ProdBroker, ProdExecution, ProdRecovery } from "./prod_execution.ts";
import { compactUtc, type ProdSchedule, readProdRunInfo } from "./prod_run_dir.ts";
import { RiskControlledBroker } from "./risk_controlled_broker.ts";
import { RiskControls, type RiskTrip } from "./risk_controls.ts";
import { acquireRunLock, RUN_LOCK_FILE } from "./run_lock.ts";
import {
  readRunProdSettings,
  runProdIdentityHash,
  type RunProdSettings,
} from "./run_prod_settings.ts";
import { reconcileStartup, type StartupReconciliation } from "./startup_reconciliation.ts";
import { SYSTEM_LOG_PATHS, SystemLog } from "./system_log.ts";
import { type SystemBar, TradingSystem } from "./trading_system.ts";

/** The exchange the market data is polled from (a ccxt exchange; markets loaded on start). */
export type ProdMarketExchange = OhlcvExchange & CcxtMarketsSource;

/** Options of `runProd`. */
export interface RunProdOptions {
  /** The system log directory (`prodRunDir`). Required. */
  runDir: string;
  /** The mode's name (`paper`, `prod`): run.json, the database's run row. Required. */
  mode: string;
  /** The requested start, epoch ms (bars ending after it are traded). Required. */
  start: number;
  /** The requested end, epoch ms (bars ending at or before it are traded). Required. */
  end: number;
  /** The dagtrade version, written to `run.json`. Required. */
  version: string;
  /** The run's clock (a `RealClock` in production). Required. */
  clock: Clock;
  /** The exchange bars are polled from. Required. */
  exchange: ProdMarketExchange;
  /** How orders are executed. Required. */
  execution: ProdExecution;
  /** `manual` or `scheduled`, for run.json. Default: `manual`. */
  schedule?: ProdSchedule | undefined;
  /** Stamps log.txt and run.json times. Default: `clock`. */
  wallClock?: Clock | undefined;
  /** Runs the loop's task on the clock (an event-driven `ReplayedClock`'s `run`). Default: direct. */
  runTasks?: (<T>(main: () => Promise<T>) => Promise<T>) | undefined;
  /** OMS database spec (`--db`). Default: `<runDir>/oms.sqlite`. */
  db?: string | undefined;
  /** Proceed when the startup reconciliation finds mismatches, from the account's positions. Default: false. */
  adoptExchangeState?: boolean | undefined;
  /** A monotonic ms timer: DAG node timings and the decision latency. Default: none (not measured). */
  timer?: (() => number) | undefined;
  /** Strings never to write or echo (API key and secret). Default: none. */
  secrets?: readonly string[] | undefined;
  /** Where the exchange is reached, for run.json (e.g. `--exchange-url`). Default: none. */
  exchangeUrl?: string | undefined;
  /** Stops the run (SIGINT/SIGTERM): status `interrupted`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called with every log message (e.g. to echo it on stderr). Default: none. */
  echo?: ((message: string) => void) | undefined;
  /** Rewrite `run.json` every this many bars. Default: 1. */
  runJsonEveryBars?: number | undefined;
}

/** What `runProd` did. */
export interface ProdRunResult {
  /** `completed`, `interrupted` (the signal) or `stopped` (a risk control). */
  status: "completed" | "interrupted" | "stopped";
  /** The trip that stopped the run, when `stopped`. */
  stopTrip: RiskTrip | undefined;
  /** The run id in the OMS database. */
  runId: string;
  /** The session of the run (1 for a fresh run). */
  session: number;
  /** The model. */
  dag: string;
  /** The universe, as full symbols, ascending asset id. */
  fullSymbols: readonly string[];
  /** Bars processed in this session. */
  barsProcessed: number;
  /** Bars this session was to process. */
  barsTotal: number;
  /** First and last bar end of this session, epoch ms (first > last: nothing to trade). */
  firstBar: number;
  /** Last bar end of this session. */
  lastBar: number;
  /** Statistics of the whole run (every session), with backtest's keys. */
  stats: PortfolioStatistics;
  /** Risk trips of this session. */
  riskTrips: RiskTrip[];
  /** The startup reconciliation, when the execution has an account. */
  reconciliation: StartupReconciliation | undefined;
  /** Orders of earlier sessions resolved at startup. */
  recovered: RecoveredParent[];
  /** Decision latency of this session, when a timer was given. */
  decisionLatency: DecisionLatencySummary | undefined;
  /** The decision latency of each bar of this session, ms (empty without a timer). */
  decisionLatencies: number[];
  /** Where the OMS database is. */
  dbLocation: string;
}

/** Runs a production run of the effective config `config` (see the module documentation). */
export async function runProd(config: Config, options: RunProdOptions): Promise<ProdRunResult> {
  const inputConfig = config.copy();
  const model = _planModel(config);
  const s = model.settings;
  const barMs = s.barMs;
  const identity = runProdIdentityHash(inputConfig);
  const configHash = createHash("sha256").update(inputConfig.toJSONString()).digest("hex");
  const clock = options.clock;
  const wall = options.wallClock ?? clock;
  const secrets = options.secrets ?? [];
  const clean = (text: string) => redactSecrets(text, secrets);
  const runDir = options.runDir;
  if (!(options.start < options.end)) {
    throw new UsageError(
      `The run's start ${formatTime(options.start)} is not before its end ${
        formatTime(options.end)
      }`,
    );
  }

  // The run directory: a new run, or an earlier session of the same one.
  const previous = await readProdRunInfo(runDir);
  if (previous !== undefined) _checkResumable(previous, { identity, mode: options.mode, runDir });
  else await _checkEmpty(runDir);
  await Deno.mkdir(runDir, { recursive: true });
  const lock = await acquireRunLock(runDir, { now: wall.now() });
  const resumed = previous !== undefined;
  const session = resumed ? Number(previous["session"] ?? 1) + 1 : 1;
  const runId = resumed && typeof previous["run_id"] === "string"
    ? previous["run_id"]
    : `${options.mode}-${model.builder.name}-${compactUtc(options.start)}-${
      _hex(resolve(runDir)).slice(0, 8)
    }`;
  const prefix = resumed && typeof previous["client_order_id_prefix"] === "string"
    ? previous["client_order_id_prefix"]
    : `dt${_hex(runId).slice(0, 10)}`;

  let log: SystemLog;
  try {
    log = await SystemLog.create(runDir, {
      barMs,
      clock: wall,
      resume: resumed,
      echo: options.echo === undefined ? undefined : (m) => options.echo?.(clean(m)),
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  const info = (message: string) => log.info(clean(message));
  const t0 = wall.now();
  const firstStart = Math.floor(options.start / barMs) * barMs + barMs;
  const lastBar = Math.floor(options.end / barMs) * barMs;
  const runInfo: Record<string, JsonValue> = {
    ...(previous ?? {}),
    mode: options.mode,
    version: options.version,
    run_id: runId,
    dag: model.builder.name,
    identity_hash: identity,
    config_hash: configHash,
    schedule: options.schedule ?? "manual",
    start: new Date(options.start).toISOString(),
    end: new Date(options.end).toISOString(),
    first_bar: new Date(firstStart).toISOString(),
    last_bar: new Date(lastBar).toISOString(),
    bar: formatTimeframe(barMs),
    bar_ms: barMs,
    exchange: s.exchange,
    exchange_url: options.exchangeUrl ?? null,
    symbols: [...s.symbols],
    execution: options.execution.name,
    client_order_id_prefix: prefix,
    session,
    db: null,
    status: "running",
    exit_reason: null,
    risk_trips: (previous?.["risk_trips"] as JsonValue[] | undefined) ?? [],
    risk_trips_total: (previous?.["risk_trips_total"] as number | undefined) ?? 0,
    halted: (previous?.["halted"] as boolean | undefined) ?? false,
    started_at: (previous?.["started_at"] as string | undefined) ?? new Date(t0).toISOString(),
    session_started_at: new Date(t0).toISOString(),
    updated_at: new Date(t0).toISOString(),
    ended_at: null,
    pid: Deno.pid,
  };
  const sessions = Array.isArray(previous?.["sessions"]) ? previous["sessions"] as JsonValue[] : [];
  const writeRunInfo = async (changes: Record<string, JsonValue> = {}): Promise<void> => {
    Object.assign(runInfo, changes);
    runInfo["updated_at"] = new Date(wall.now()).toISOString();
    await log.writeRunInfo(JSON.parse(clean(JSON.stringify(runInfo))));
  };

  let db: OmsDatabase | undefined;
  let md: CcxtMarketData | undefined;
  let broker: ProdBroker | undefined;
  let recorder: OmsRecorder | undefined;
  const riskTrips: RiskTrip[] = [];
  // Everything that waits on the clock runs as the clock's task (an event-driven ReplayedClock).
  const body = async (): Promise<ProdRunResult> => {
    try {
      await writeRunInfo();
      await log.writeConfig("input", inputConfig);
      await info(
        `run-prod ${options.mode} ${model.builder.name} session ${session}${
          resumed ? " (resumed)" : ""
        }: ${s.exchange} ${s.symbols.join(", ")} ${s.timeframe} bars ending in (${
          formatTime(options.start)
        }, ${formatTime(options.end)}], execution ${options.execution.name}, style ${s.style}, ` +
          `sizing ${s.sizing}, ${options.execution.sizesAtFill() ? `fill ${s.fill}, ` : ""}` +
          `initial cash ${s.initialCash}; run ${runId} in ${runDir}`,
      );
      if (lock.tookOverFrom !== undefined) {
        await info(
          `took over the run lock of pid ${lock.tookOverFrom.pid} (since ` +
            `${lock.tookOverFrom.started_at}), which is no longer running`,
        );
      }
      db = await openOmsDatabase(options.db, { runDir });
      runInfo["db"] = db.location;
      const now0 = clock.now();
      if (await db.getRun(runId) === undefined) {
        await db.putRun({
          id: runId,
          mode: options.mode,
          strategy: model.builder.name,
          configHash: identity,
          start: options.start,
          end: options.end,
          status: "running",
          createdAt: now0,
          updatedAt: now0,
        });
      } else {
        await db.updateRun(runId, { status: "running", updatedAt: now0 });
      }

      // Market data (markets loaded, symbols checked); received bars of earlier sessions kept.
      if (resumed) await _setAsideReceivedBars(runDir, session - 1);
      md = await CcxtMarketData.create(options.exchange, {
        clock,
        symbols: s.symbols,
        timeframe: s.timeframe,
        warmupBars: model.lookbackBars,
        pollDelayMs: s.pollDelayMs,
        pollMs: s.pollMs,
        runDir,
        signal: options.signal,
      });
      const fullSymbols = [...md.fullSymbols().entries()].sort(([a], [b]) => a - b)
        .map(([, f]) => f);
      const assetIds = fullSymbols.map(assetIdOf);

      // The model.
      const dagOptions: DagOptions = {};
      if (options.timer !== undefined) dagOptions.timer = options.timer;
      const fitBars = model.fitInterval === undefined
        ? undefined
        : await _fitBars(s, model.fitInterval, assetIds, model.builder);
      const dag = buildFittedDag(model.builder, model.dagConfig, {
        ...(fitBars === undefined ? {} : { bars: fitBars }),
        barMs,
        dagOptions,
      });
      await log.writeConfig("output", config);
      const meter = options.timer === undefined ? undefined : new DecisionLatency(options.timer);
      const marketData = meter === undefined ? md : meter.wrapMarketData(md);
      const runner = new IncrementalRunner(dag, marketData, { lookbackBars: model.lookbackBars });

      // Recovery of the orders an earlier session left open.
      const dbOrders: OrderRow[] = resumed ? await db.listOrders(runId) : [];
      const dbFills = resumed ? await db.listFills(runId) : [];
      const fillIds = new IdCounter(_maxId(dbFills.map((f) => f.fillId)) + 1);
      const recovery = await options.execution.recover({
        runDir,
        clock,
        fillIds,
        orders: dbOrders,
        fullSymbols,
        clientOrderIdPrefix: prefix,
        settings: s,
        signal: options.signal,
        log: (line) => void info(line),
      });
      if (recovery.parents.length > 0) {
        const filled = recovery.parents.filter((p) => p.fill !== undefined).length;
        await info(
          `recovery: ${recovery.parents.length} order(s) left open by the earlier session ` +
            `resolved, ${filled} with a fill (applied with the first bar)`,
        );
      }
      const orderRows = await _insertUnknownOrders(db, recovery, { runId, now: clock.now() });
      dbOrders.push(...orderRows);
      const orderIds = new IdCounter(
        Math.max(
          _maxId(dbOrders.map((r) => r.orderId)),
          recovery.maxOrderId ?? -1,
          _maxId(recovery.parents.map((p) => p.order.id)),
        ) + 1,
      );

      // The portfolio the database expects, reconciled with the account.
      const store = new DeferredDbPortfolioStore(db, runId);
      const state = await store.loadState();
      const recoveredShares = new Map<number, number>();
      for (const p of recovery.parents) {
        if (p.fill !== undefined) {
          recoveredShares.set(
            p.fill.assetId,
            (recoveredShares.get(p.fill.assetId) ?? 0) + p.fill.shares,
          );
        }
      }
      const expected = new Map<number, number>();
      for (const position of state?.positions ?? []) {
        expected.set(position.assetId, position.shares);
      }
      for (const [id, shares] of recoveredShares) {
        expected.set(id, (expected.get(id) ?? 0) + shares);
      }
      let reconciliation: StartupReconciliation | undefined;
      let adopted: Map<number, number> | undefined;
      if (options.execution.fetchExchangeState !== undefined) {
        const exchangeState = await options.execution.fetchExchangeState({
          clock,
          fullSymbols,
          signal: options.signal,
        });
        reconciliation = reconcileStartup({
          expected,
          assets: fullSymbols.map((f) => _reconciledAsset(options.exchange, f)),
          state: exchangeState,
          clientOrderIdPrefix: `${prefix}-`,
          cash: state?.cash ?? s.initialCash,
        });
        for (const line of reconciliation.lines) await info(`startup reconciliation: ${line}`);
        runInfo["startup_reconciliation"] = {
          ok: reconciliation.ok,
          mismatches: reconciliation.mismatches,
          adopted: false,
        };
        if (!reconciliation.ok) {
          const what = `${reconciliation.mismatches.length} mismatch(es) between the OMS ` +
            `database and the ${s.exchange} account: ${reconciliation.mismatches.join("; ")}`;
          if (!(options.adoptExchangeState ?? false)) {
            throw new UsageError(
              `Startup reconciliation of ${runDir}: ${what}. Nothing was traded. Check the ` +
                `account; pass --adopt-exchange-state to start from the account's positions`,
            );
          }
          adopted = _adoptedHoldings(reconciliation, recoveredShares);
          runInfo["startup_reconciliation"] = {
            ok: false,
            mismatches: reconciliation.mismatches,
            adopted: true,
          };
          await info(
            `startup reconciliation: ${what}; adopting the account's positions ` +
              `(--adopt-exchange-state)` +
              (reconciliation.foreignOpenOrders.length > 0
                ? `; the other open orders are left alone`
                : ""),
          );
        }
      }

      const portfolioStore: PortfolioStore = adopted === undefined
        ? store
        : await _adoptingStore(store, state, adopted, {
          md,
          clock,
          initialCash: s.initialCash,
          firstBar: firstStart,
          barMs,
        });
      const portfolio = await Portfolio.restore(portfolioStore, {
        initialCash: s.initialCash,
        assetIds,
      });
      const initialNetWealth = typeof previous?.["initial_net_wealth"] === "number"
        ? previous["initial_net_wealth"]
        : adopted === undefined
        ? s.initialCash
        : portfolio.netWealthAt(md.lastPrice(clock.now(), { assetIds }));
      runInfo["initial_net_wealth"] = initialNetWealth;

      const optimizer = new Optimizer({
        style: s.style,
        sizing: s.sizing,
        targetGmv: s.targetGmv ?? s.initialCash,
        feeBps: s.feeBps,
        orderType: options.execution.orderType(s),
        limits: ccxtExchangeLimits(options.exchange, fullSymbols),
        ...(options.execution.sizesAtFill() ? {} : { sizeAtFill: false }),
      });
      broker = await options.execution.createBroker({
        runDir,
        clock,
        marketData: md,
        portfolio,
        optimizer,
        fillIds,
        fullSymbols,
        clientOrderIdPrefix: prefix,
        settings: s,
      });
      const pending = new _PendingFillsBroker(
        broker,
        recovery.parents.flatMap((p) => p.fill === undefined ? [] : [p.fill]),
      );
      const controls = new RiskControls(s.risk, {
        initialNetWealth,
        halted: runInfo["halted"] === true,
      });
      const stop = new AbortController();
      const onOuterAbort = () => stop.abort(options.signal?.reason);
      if (options.signal?.aborted) onOuterAbort();
      options.signal?.addEventListener("abort", onOuterAbort, { once: true });
      const risk = new RiskControlledBroker(pending, {
        controls,
        portfolio,
        marketData: md,
        onTrip: async (trip) => {
          riskTrips.push(trip);
          const trips = runInfo["risk_trips"] as JsonValue[];
          trips.push({ ...trip, time: new Date(trip.time).toISOString() });
          if (trips.length > 200) trips.splice(0, trips.length - 200);
          await info(`risk: ${trip.control}: ${trip.reason}`);
          await writeRunInfo({
            risk_trips_total: Number(runInfo["risk_trips_total"] ?? 0) + 1,
            halted: controls.halted,
          });
        },
        onStop: (trip) => stop.abort(new InterruptedError(`stopped by ${trip.control}`)),
      });
      const systemBroker = meter === undefined ? risk : meter.wrapBroker(risk);
      recorder = new OmsRecorder(db, {
        runId,
        strategyId: model.builder.name,
        portfolioStore: store,
        commitEveryBars: 1,
        resume: resumed
          ? {
            orders: dbOrders,
            fills: dbFills,
            open: recovery.parents.map((p) => p.order),
            batches: (await db.listAcceptedOrders(runId)).length,
            now: clock.now(),
          }
          : undefined,
      });
      log.trackOrders(recovery.parents.map((p) => p.order));

      // The bars of this session.
      const resumeFrom = portfolio.lastTimestamp === undefined
        ? -Infinity
        : portfolio.lastTimestamp + barMs;
      // A bar that ended less than half a bar ago can still be traded; an older one cannot.
      const now = clock.now();
      const current = Math.floor(now / barMs) * barMs;
      const earliest = now - current < barMs / 2 ? current : current + barMs;
      const firstBar = Math.max(firstStart, resumeFrom, earliest);
      const barsTotal = firstBar > lastBar ? 0 : (lastBar - firstBar) / barMs + 1;
      sessions.push({
        session,
        started_at: new Date(t0).toISOString(),
        first_bar: new Date(firstBar).toISOString(),
        recovered_orders: recovery.parents.length,
        reconciliation_ok: reconciliation?.ok ?? null,
      });
      await writeRunInfo({ sessions, bars_total: barsTotal, first_session_bar: _iso(firstBar) });
      if (resumed && firstBar > firstStart) {
        await info(
          `resuming at bar ${formatTime(firstBar)}` +
            (portfolio.lastTimestamp === undefined
              ? ""
              : ` (last committed bar ${formatTime(portfolio.lastTimestamp)})`),
        );
      }

      let barsProcessed = 0;
      let lastProcessed: number | undefined;
      let interrupted = false;
      let startTrip: RiskTrip | undefined;
      if (controls.killSwitchEngaged()) {
        startTrip = {
          time: clock.now(),
          control: "kill_switch",
          reason: `the kill-switch file ${s.risk.killSwitchFile} exists at start: not trading`,
          action: "cancel_and_stop",
          deniedOrderIds: [],
        };
        riskTrips.push(startTrip);
        (runInfo["risk_trips"] as JsonValue[]).push({ ...startTrip, time: _iso(startTrip.time) });
        await info(`risk: kill_switch: ${startTrip.reason}`);
      } else if (barsTotal > 0) {
        const runJsonEvery = options.runJsonEveryBars ?? 1;
        const system = new TradingSystem({
          marketData,
          runner,
          oms: {
            broker: systemBroker,
            portfolio,
            optimizer,
            orderIds,
            columns: model.columns,
          },
          firstBar,
          lastBar,
          waitTimeoutMs: s.waitTimeoutMs,
          onBar: async (bar: SystemBar) => {
            // The database first: it is what a restart trusts.
            await (recorder as OmsRecorder).recordBar(bar.oms);
            await log.writeBar(bar);
            barsProcessed = bar.index;
            lastProcessed = bar.timestamp;
            if (bar.index % runJsonEvery === 0) {
              await writeRunInfo({
                bars_processed: bar.index,
                last_processed_bar: _iso(bar.timestamp),
                net_wealth: bar.oms.portfolio.statistics.netWealth,
                decision_latency: (meter?.summary() ?? null) as JsonValue,
              });
            }
          },
        });
        await info(
          `trading ${barsTotal} bar(s) ${formatTime(firstBar)} .. ${formatTime(lastBar)}; ` +
            `first order id ${orderIds.peek()}`,
        );
        const result = await system.run({ signal: stop.signal });
        interrupted = result.interrupted;
      } else {
        await info(`no bar left to trade (the run's last bar is ${formatTime(lastBar)})`);
      }
      options.signal?.removeEventListener("abort", onOuterAbort);

      // Stop: cancel what is open, settle late fills, commit.
      const stopTrip = risk.stopped ?? startTrip;
      const open = pending.openOrders().length;
      await broker.close();
      const late = pending.getFills();
      if (late.length > 0) {
        // Fills after the last bar: one more bar, marked at the last known closes.
        const t = (portfolio.lastTimestamp ?? firstBar - barMs) + barMs;
        await _settlementBar(t, late, {
          portfolio,
          md,
          clock,
          recorder,
          log,
        });
        await info(
          `settlement bar ${formatTime(t)}: ${open} open order(s) cancelled, ${late.length} ` +
            `fill(s) applied`,
        );
      } else if (open > 0 || (barsProcessed === 0 && recovery.parents.length > 0)) {
        await recorder.recordOrderUpdates(clock.now());
        if (open > 0) await info(`${open} open order(s) cancelled, nothing filled`);
      }
      await recorder.flush();
      await _closeMarketData(md, runDir, barMs);
      const { statistics } = await log.consolidate();
      const stats = statisticsFromMetrics(statistics, { barMs, initialCash: s.initialCash });
      await log.writeStats(stats);
      const status = stopTrip !== undefined
        ? "stopped"
        : interrupted || (options.signal?.aborted ?? false)
        ? "interrupted"
        : "completed";
      const reason = status === "stopped"
        ? `stopped by risk control ${stopTrip?.control}: ${stopTrip?.reason}`
        : status === "interrupted"
        ? `interrupted (signal) after ${barsProcessed} of ${barsTotal} bars of session ${session}`
        : `all bars processed (${barsProcessed} in session ${session})`;
      await db.updateRun(runId, {
        status: status === "completed" ? "completed" : status,
        updatedAt: clock.now(),
      });
      const latency = meter?.summary();
      await info(
        `${status}: ${reason}; final net wealth ${stats.final_net_wealth}` +
          (latency === undefined
            ? ""
            : `; decision latency p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms`),
      );
      const end = wall.now();
      (sessions[sessions.length - 1] as Record<string, JsonValue>)["ended_at"] = _iso(end);
      await writeRunInfo({
        status,
        exit_reason: reason,
        bars_processed_session: barsProcessed,
        bars_processed: statistics.height,
        last_processed_bar: lastProcessed === undefined
          ? (runInfo["last_processed_bar"] ?? null)
          : _iso(lastProcessed),
        decision_latency: (latency ?? null) as JsonValue,
        final_net_wealth: stats.final_net_wealth,
        ended_at: _iso(end),
        elapsed_ms: Math.round(end - t0),
        sessions,
        halted: controls.halted,
      });
      return {
        status,
        stopTrip,
        runId,
        session,
        dag: model.builder.name,
        fullSymbols,
        barsProcessed,
        barsTotal,
        firstBar,
        lastBar,
        stats,
        riskTrips,
        reconciliation,
        recovered: recovery.parents,
        decisionLatency: latency,
        decisionLatencies: meter?.values() ?? [],
        dbLocation: db.location,
      };
    } catch (error) {
      await _fail(error, {
        log,
        db,
        md,
        broker,
        recorder,
        runId,
        clock,
        wall,
        runDir,
        barMs,
        clean,
        writeRunInfo,
      });
      throw error;
    }
  };
  try {
    return await (options.runTasks === undefined ? body() : options.runTasks(body));
  } finally {
    await db?.close().catch(() => {});
    await lock.release();
  }
}

// ---- planning ----

interface _Model {
  settings: RunProdSettings;
  builder: DagBuilder;
  dagConfig: Config;
  lookbackBars: number;
  columns: DagColumnNames;
  fitInterval: TimeInterval | undefined;
}

function _planModel(config: Config): _Model {
  const settings = readRunProdSettings(config);
  const builder = getBuilder(settings.dagBuilder);
  const dagConfig = config.getConfig("dag", { markAsUsed: true });
  const dummies = dagConfig.dummyKeys().map((k) => `dag.${k}`);
  if (dummies.length > 0) {
    throw new ConfigError(
      `The config of dag '${builder.name}' has unfilled values: ${dummies.join(", ")}; set ` +
        `them with --set ${dummies[0]}=<value> (or in a --config file)`,
    );
  }
  try {
    const probe = dagConfig.copy();
    builder.build(probe);
    return {
      settings,
      builder,
      dagConfig,
      lookbackBars: builder.lookbackBars(dagConfig.copy()),
      columns: builder.columnNames(dagConfig.copy()),
      fitInterval: builder.fitInterval(probe),
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `Cannot build dag '${builder.name}': ${error.message} (the model's keys are under 'dag.', ` +
        `e.g. --set dag.<key>=<value>)`,
      { cause: error },
    );
  }
}

async function _fitBars(
  s: RunProdSettings,
  interval: TimeInterval,
  assetIds: readonly number[],
  builder: DagBuilder,
): Promise<pl.DataFrame> {
  if (s.fitData === undefined) {
    throw new UsageError(
      `dag '${builder.name}' is fitted on (${formatTime(interval[0])}, ${
        formatTime(interval[1])
      }]: give the fit data with --data <snapshot|store> (backtest.data)`,
    );
  }
  const data = await describeBacktestData(s.fitData, { verify: true });
  if (data.barMs !== s.barMs) {
    throw new DataError(
      `The fit data ${s.fitData} holds ${formatTimeframe(data.barMs)} bars but the run trades ` +
        `${s.timeframe} bars`,
    );
  }
  return await loadBacktestBars(data, { start: interval[0], end: interval[1], assetIds });
}

function _checkResumable(
  previous: Record<string, JsonValue>,
  ctx: { identity: string; mode: string; runDir: string },
): void {
  if (previous["mode"] !== ctx.mode) {
    throw new UsageError(
      `${ctx.runDir} holds a ${String(previous["mode"])} run; this is a ${ctx.mode} run`,
    );
  }
  if (previous["identity_hash"] !== ctx.identity) {
    throw new UsageError(
      `${ctx.runDir} holds a run of another model or portfolio (its identity hash ` +
        `${String(previous["identity_hash"]).slice(0, 12)} is not this config's ` +
        `${ctx.identity.slice(0, 12)}; compare system_config.input.txt): use another --start ` +
        `or --root, or the same settings to resume it`,
    );
  }
  if (previous["status"] === "completed") {
    throw new UsageError(
      `The run in ${ctx.runDir} is completed (ended ${String(previous["ended_at"])}); nothing ` +
        `to resume`,
    );
  }
}

async function _checkEmpty(dir: string): Promise<void> {
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.startsWith(".") || e.name === RUN_LOCK_FILE) entries.push(e.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new UsageError(`Cannot use the run directory ${dir}: ${_message(error)}`, {
      cause: error,
    });
  }
  if (entries.length > 0) {
    throw new UsageError(
      `The run directory ${dir} is not empty (${entries.slice(0, 5).join(", ")}) and holds no ` +
        `run.json; use another --start or --root`,
    );
  }
}

// ---- recovery, reconciliation, adoption ----

/** Inserts the recovered orders the database never recorded (as accepted, before their outcome). */
async function _insertUnknownOrders(
  db: OmsDatabase,
  recovery: ProdRecovery,
  ctx: { runId: string; now: number },
): Promise<OrderRow[]> {
  const unknown = recovery.parents.filter((p) => recovery.unknownToDb.has(p.order.id))
    .map((p) => p.order);
  if (unknown.length === 0) return [];
  const submitted = unknown.map((o) => new Order({ ...o.toFields(), state: "submitted" }));
  const accepted = unknown.map((o) => new Order({ ...o.toFields(), state: "accepted" }));
  const filename = `recovered.${new Date(ctx.now).toISOString()}.${unknown[0]?.id}`;
  const rows = accepted.map((o, i) =>
    orderToRow(o, {
      runId: ctx.runId,
      filename,
      updatedAt: ctx.now,
      orderTxt: (submitted[i] as Order).toString(),
    })
  );
  await db.transaction(async (tx) => {
    await submitOrderBatch(tx, submitted, { runId: ctx.runId, timestampDb: ctx.now, filename });
    const batches = (await tx.listAcceptedOrders(ctx.runId)).length;
    await tx.acceptOrders({
      runId: ctx.runId,
      filename,
      strategyId: "recovered",
      targetListId: batches + 1,
      tradeDate: tradeDateOf(ctx.now),
      instanceId: 0,
      timestampProcessed: ctx.now,
      timestampDb: ctx.now,
      targetCount: rows.length,
      changedCount: rows.length,
      unchangedCount: 0,
      cancelCount: 0,
      success: true,
      reason: "recovered from the broker journal after a restart",
    }, rows);
  });
  return rows;
}

function _reconciledAsset(exchange: CcxtMarketsSource, fullSymbol: string) {
  const symbol = ccxtSymbolOf(fullSymbol);
  const market = (exchange.markets?.[symbol] ?? {}) as { base?: unknown; quote?: unknown };
  const [base, quote] = symbol.split("/") as [string, string];
  return {
    assetId: assetIdOf(fullSymbol),
    symbol,
    base: typeof market.base === "string" ? market.base : base,
    quote: typeof market.quote === "string" ? market.quote : quote,
    amountStep: ccxtMarketRules(exchange, symbol).amountStep,
  };
}

/** The holdings to start from when adopting the account: its positions minus the recovered fills. */
function _adoptedHoldings(
  reconciliation: StartupReconciliation,
  recoveredShares: ReadonlyMap<number, number>,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of reconciliation.positions) {
    if (p.assetIds.length > 1 && !p.match) {
      throw new UsageError(
        `Cannot adopt the account's ${p.currency}: it is the base of ${p.symbols.join(", ")}, ` +
          `and the account does not say which holds how much; trade one ${p.currency} pair per run`,
      );
    }
    if (p.match) continue;
    const id = p.assetIds[0] as number;
    out.set(id, p.exchange - (recoveredShares.get(id) ?? 0));
  }
  return out;
}

/** A store whose starting state holds the adopted positions (marked at the last closes). */
async function _adoptingStore(
  store: DeferredDbPortfolioStore,
  state: PortfolioState | undefined,
  adopted: ReadonlyMap<number, number>,
  ctx: { md: CcxtMarketData; clock: Clock; initialCash: number; firstBar: number; barMs: number },
): Promise<PortfolioStore> {
  await ctx.md.poll();
  const closes = ctx.md.lastPrice(ctx.clock.now());
  const positions = new Map((state?.positions ?? []).map((p) => [p.assetId, { ...p }]));
  for (const [assetId, shares] of adopted) {
    const mark = positions.get(assetId)?.mark;
    positions.set(assetId, {
      assetId,
      shares,
      mark: closes.get(assetId) ?? (mark !== undefined && Number.isFinite(mark) ? mark : NaN),
    });
  }
  const adoptedState: PortfolioState = {
    timestamp: state?.timestamp ?? ctx.firstBar - ctx.barMs,
    cash: state?.cash ?? ctx.initialCash,
    positions: [...positions.values()].sort((a, b) => a.assetId - b.assetId),
  };
  return {
    appendBar: (record: PortfolioBarRecord) => store.appendBar(record),
    loadState: () => Promise.resolve(adoptedState),
    readStatistics: () => store.readStatistics(),
    readAssetRows: () => store.readAssetRows(),
  };
}

// ---- settlement and end ----

async function _settlementBar(
  t: number,
  fills: readonly Fill[],
  ctx: {
    portfolio: Portfolio;
    md: CcxtMarketData;
    clock: Clock;
    recorder: OmsRecorder;
    log: SystemLog;
  },
): Promise<void> {
  const { portfolio } = ctx;
  portfolio.applyFills(fills);
  // The last known closes (the bar at t may not be known yet).
  const closes = ctx.md.lastPrice(Math.min(t, ctx.clock.now()), {
    assetIds: portfolio.assetIds(),
  });
  const record = await portfolio.markToMarket(t, closes);
  const bar: ProcessForecastsBar = {
    timestamp: t,
    wallTime: Math.max(ctx.clock.now(), ...fills.map((f) => f.timestamp)),
    targets: [],
    orders: [],
    fills: [...fills],
    portfolio: record,
  };
  await ctx.recorder.recordBar(bar);
  await ctx.log.writeBar({
    timestamp: t,
    forecasts: pl.DataFrame({}),
    oms: bar,
    dagTimings: [],
  });
}

/** Consolidates the received bars of every session into `market_data/bars.parquet`. */
async function _closeMarketData(md: CcxtMarketData, runDir: string, barMs: number): Promise<void> {
  await md.close();
  const dir = join(runDir, SYSTEM_LOG_PATHS.marketData);
  const older: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (/^bars\.session\d+\.jsonl$/.test(e.name)) older.push(join(dir, e.name));
  }
  if (older.length === 0) return;
  const frames: pl.DataFrame[] = [];
  for (const path of [...older.sort(), join(dir, "bars.jsonl")]) {
    try {
      frames.push(await readReceivedBars(path, { barMs }));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const all = pl.concat(frames.filter((f) => f.height > 0));
  // The first receipt of each bar wins.
  const bars = all.sort(["timestamp", "asset_id", "knowledge_timestamp"])
    .unique({ subset: ["timestamp", "asset_id"], keep: "first", maintainOrder: true });
  await atomicWriteWith(join(dir, "bars.parquet"), (tmp) => {
    bars.writeParquet(tmp);
  });
}

/** Moves the received-bars file of the session that ended aside (`bars.session<n>.jsonl`). */
async function _setAsideReceivedBars(runDir: string, session: number): Promise<void> {
  const dir = join(runDir, SYSTEM_LOG_PATHS.marketData);
  const from = join(dir, "bars.jsonl");
  let to = join(dir, `bars.session${String(session).padStart(3, "0")}.jsonl`);
  for (let k = 1; await _exists(to); k++) {
    to = join(dir, `bars.session${String(session).padStart(3, "0")}_${k}.jsonl`);
  }
  await Deno.rename(from, to).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** Records a failure everywhere it can (best effort: the original error matters). */
async function _fail(
  error: unknown,
  ctx: {
    log: SystemLog;
    db: OmsDatabase | undefined;
    md: CcxtMarketData | undefined;
    broker: ProdBroker | undefined;
    recorder: OmsRecorder | undefined;
    runId: string;
    clock: Clock;
    wall: Clock;
    runDir: string;
    barMs: number;
    clean: (text: string) => string;
    writeRunInfo: (changes: Record<string, JsonValue>) => Promise<void>;
  },
): Promise<void> {
  const message = ctx.clean(error instanceof Error ? error.message : String(error));
  // Stopped by the signal before trading (a wait of the startup): interrupted, not failed.
  const status = error instanceof InterruptedError ? "interrupted" : "failed";
  const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch {
      // Best effort: the run already failed.
    }
  };
  // Never leave child orders resting on the exchange.
  await quiet(() => ctx.broker?.close() ?? Promise.resolve());
  await quiet(() => ctx.recorder?.flush() ?? Promise.resolve());
  if (ctx.md !== undefined) {
    const md = ctx.md;
    await quiet(() => _closeMarketData(md, ctx.runDir, ctx.barMs));
  }
  await quiet(() => ctx.log.consolidate());
  await quiet(() =>
    ctx.db?.updateRun(ctx.runId, { status, updatedAt: ctx.clock.now() }) ??
      Promise.resolve()
  );
  await quiet(() => ctx.log.info(`${status}: ${message}`));
  await quiet(() =>
    ctx.writeRunInfo({
      status,
      exit_reason: message,
      ended_at: _iso(ctx.wall.now()),
    })
  );
}

/** Delivers fills recovered at startup with the first `getFills`, before the broker's own. */
class _PendingFillsBroker implements Broker {
  readonly #inner: ProdBroker;
  #pending: Fill[];

  constructor(inner: ProdBroker, pending: readonly Fill[]) {
    this.#inner = inner;
    this.#pending = [...pending];
  }

  submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void> {
    return this.#inner.submitOrders(orders, options);
  }

  getFills(): Fill[] {
    const fills = [...this.#pending, ...this.#inner.getFills()];
    this.#pending = [];
    return fills;
  }

  async cancelOrders(orderIds: readonly number[], options: CancelOrdersOptions): Promise<void> {
    await this.#inner.cancelOrders?.(orderIds, options);
  }

  openOrders(): Order[] {
    return this.#inner.openOrders();
  }
}

function _maxId(ids: readonly number[]): number {
  let max = -1;
  for (const id of ids) if (id > max) max = id;
  return max;
}

function _hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function _iso(t: number): string {
  return new Date(t).toISOString();
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
