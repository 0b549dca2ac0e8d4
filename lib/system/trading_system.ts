/**
 * `TradingSystem`: the production system loop (DESIGN §5, §8, §9), shared by `simulate` and
 * `run-prod`. It is mode-agnostic: the command picks the clock, the market data, the broker and
 * the stores, and the loop runs the same way on all of them.
 *
 * For every bar end `t` of the run (`firstBar, firstBar + bar, …, lastBar`), four jobs on one
 * `Scheduler`, in its phase order:
 * 1. `data`: wait on the clock until bar `t` is known (`MarketData.waitForLatestData`);
 * 2. `dag`: run the DAG on the lookback window ending at `t` (`IncrementalRunner.step`);
 * 3. `forecasts`: `processForecasts` — fills that became known, targets, orders, submission,
 *    mark to market;
 * 4. `fills`: hand the bar's results (forecasts, OMS results, DAG timings) to `onBar` (the
 *    system log, the OMS database, progress).
 *
 * The bar at `t` is therefore processed when it becomes known: at its knowledge time on a
 * replayed clock (event-driven: at once, as fast as possible; paced: at `speed` × real time),
 * at the real time it arrives on a real clock.
 *
 * Stopping: when `signal` aborts, the loop stops after the bar in flight — a bar whose data has
 * arrived is processed and handed to `onBar` completely; a bar still being waited for is not
 * started — and `run` reports `interrupted: true`.
 */
import type { ColumnFrame } from "../frame/mod.ts";
import type { DagTiming, IncrementalRunner } from "../dag/mod.ts";
import { DagtradeError, InterruptedError, UsageError } from "../errors/mod.ts";
import {
  processForecasts,
  type ProcessForecastsBar,
  type ProcessForecastsContext,
} from "../oms/mod.ts";
import { formatTime, type MarketData, Scheduler } from "../sim/mod.ts";

/** Everything one bar produced, handed to `TradingSystemOptions.onBar`. */
export interface SystemBar {
  /** The bar end, epoch ms. */
  readonly timestamp: number;
  /** 1 for the first bar of the run, then 2, 3, … */
  readonly index: number;
  /** The DAG's rows of this bar (the forecasts), sorted by asset id, as a JS column frame. */
  readonly forecasts: ColumnFrame;
  /** Targets, orders, fills and the portfolio record of this bar. */
  readonly oms: ProcessForecastsBar;
  /** The DAG's node timings of this bar (empty when the DAG has no timer). */
  readonly dagTimings: readonly DagTiming[];
}

/** The OMS pieces of a run: `processForecasts`' context without the per-call fields. */
export type TradingSystemOms = Omit<
  ProcessForecastsContext,
  "marketData" | "sink" | "signal" | "waitTimeoutMs"
>;

/** Options of `TradingSystem`. */
export interface TradingSystemOptions {
  /** Bars on the run's clock (its `clock` is the clock of the run). Required. */
  marketData: MarketData;
  /** The fitted DAG, run bar by bar on `marketData`. Required. */
  runner: IncrementalRunner;
  /** Broker, portfolio, optimizer, order ids and forecast columns. Required. */
  oms: TradingSystemOms;
  /** End of the first bar of the run, epoch ms (on the bar grid). Required. */
  firstBar: number;
  /** End of the last bar of the run (inclusive), epoch ms. Required. */
  lastBar: number;
  /** Give up waiting for a bar after this long on the clock, ms. Default: 3 bar periods. */
  waitTimeoutMs?: number | undefined;
  /** Receives each processed bar, in the `fills` phase (logs, database, progress). Default: none. */
  onBar?: ((bar: SystemBar) => void | Promise<void>) | undefined;
}

/** Options of `TradingSystem.run`. */
export interface TradingSystemRunOptions {
  /** Stops the loop after the bar in flight. Default: none. */
  signal?: AbortSignal | undefined;
  /**
   * Runs the loop's task on the clock: `(main) => replayedClock.run(main)` for an event-driven
   * `ReplayedClock` (whose sleeps only advance inside `run`). Default: calls `main` directly
   * (real clocks, paced replayed clocks).
   */
  runTasks?: (<T>(main: () => Promise<T>) => Promise<T>) | undefined;
}

/** What `TradingSystem.run` did. */
export interface TradingSystemResult {
  /** Bars processed completely (handed to `onBar`). */
  barsProcessed: number;
  /** End of the last processed bar, or `undefined`. */
  lastBar: number | undefined;
  /** Whether the loop stopped on the signal before the last bar. */
  interrupted: boolean;
}

/** The production system loop (see the module documentation). */
export class TradingSystem {
  /** The market data (its clock is the run's clock). */
  readonly marketData: MarketData;
  /** The DAG runner. */
  readonly runner: IncrementalRunner;
  /** End of the first bar, epoch ms. */
  readonly firstBar: number;
  /** End of the last bar, epoch ms. */
  readonly lastBar: number;
  /** Number of bars of the run. */
  readonly barsTotal: number;
  readonly #oms: TradingSystemOms;
  readonly #waitTimeoutMs: number | undefined;
  readonly #onBar: ((bar: SystemBar) => void | Promise<void>) | undefined;
  #running = false;

  /** Checks the bar range; throws `UsageError` when it is empty or off the bar grid. */
  constructor(options: TradingSystemOptions) {
    const barMs = options.marketData.barMs;
    const { firstBar, lastBar } = options;
    if (!Number.isFinite(firstBar) || !Number.isFinite(lastBar) || firstBar > lastBar) {
      throw new UsageError(
        `TradingSystem: empty bar range ${firstBar} .. ${lastBar}; the run needs at least one bar`,
      );
    }
    if ((lastBar - firstBar) % barMs !== 0) {
      throw new UsageError(
        `TradingSystem: the last bar ${formatTime(lastBar)} is not on the bar grid of the first ` +
          `bar ${formatTime(firstBar)} (bar ${barMs} ms)`,
      );
    }
    this.marketData = options.marketData;
    this.runner = options.runner;
    this.firstBar = firstBar;
    this.lastBar = lastBar;
    this.barsTotal = (lastBar - firstBar) / barMs + 1;
    this.#oms = options.oms;
    this.#waitTimeoutMs = options.waitTimeoutMs;
    this.#onBar = options.onBar;
  }

  /**
   * Runs every bar of the range in order and returns when the last one is processed, or after
   * the bar in flight when `signal` aborts (`interrupted: true`). Any other failure (data that
   * never arrives, a broken node, a database error) propagates.
   */
  async run(options: TradingSystemRunOptions = {}): Promise<TradingSystemResult> {
    if (this.#running) throw new DagtradeError("TradingSystem.run() is already running");
    this.#running = true;
    const md = this.marketData;
    const clock = md.clock;
    const barMs = md.barMs;
    const outer = options.signal;
    // The scheduler's own signal aborts only between bars: a stop requested while a bar is in
    // flight (its data arrived) waits for the end of that bar's `fills` job.
    const stop = new AbortController();
    const state = {
      inFlight: false,
      stopRequested: false,
      processed: 0,
      last: undefined as number | undefined,
    };
    const requestStop = (): void => {
      state.stopRequested = true;
      if (!state.inFlight) stop.abort(outer?.reason ?? new InterruptedError("stopped"));
    };
    if (outer?.aborted) requestStop();
    outer?.addEventListener("abort", requestStop, { once: true });

    const scheduler = new Scheduler(clock);
    const oms = this.#oms;
    const dag = this.runner.dag;
    let forecasts: ColumnFrame | undefined;
    let result: ProcessForecastsBar | undefined;
    let timings: DagTiming[] = [];
    const window = { phase: "data" as const, start: this.firstBar, end: this.lastBar };
    scheduler.every(barMs, async (t, job) => {
      const wait: { timeoutMs?: number; signal?: AbortSignal } = { signal: job.signal };
      if (this.#waitTimeoutMs !== undefined) wait.timeoutMs = this.#waitTimeoutMs;
      await md.waitForLatestData(t, wait);
      state.inFlight = true;
    }, window);
    scheduler.every(barMs, (t) => {
      dag.clearTimings();
      forecasts = this.runner.stepColumns(t);
      timings = dag.timings();
      dag.clearTimings();
    }, { ...window, phase: "dag" });
    scheduler.every(barMs, async (t) => {
      result = await processForecasts(t, forecasts as ColumnFrame, { ...oms, marketData: md });
    }, { ...window, phase: "forecasts" });
    scheduler.every(barMs, async (t) => {
      state.processed += 1;
      state.last = t;
      const bar: SystemBar = {
        timestamp: t,
        index: state.processed,
        forecasts: forecasts as ColumnFrame,
        oms: result as ProcessForecastsBar,
        dagTimings: timings,
      };
      forecasts = undefined;
      result = undefined;
      await this.#onBar?.(bar);
      state.inFlight = false;
      if (state.stopRequested && !stop.signal.aborted) {
        stop.abort(outer?.reason ?? new InterruptedError("stopped"));
      }
    }, { ...window, phase: "fills" });

    const main = () => scheduler.run({ signal: stop.signal });
    try {
      await (options.runTasks === undefined ? main() : options.runTasks(main));
      return { barsProcessed: state.processed, lastBar: state.last, interrupted: false };
    } catch (error) {
      if (error instanceof InterruptedError && stop.signal.aborted) {
        const interrupted = state.processed < this.barsTotal;
        return { barsProcessed: state.processed, lastBar: state.last, interrupted };
      }
      throw error;
    } finally {
      outer?.removeEventListener("abort", requestStop);
      this.#running = false;
    }
  }
}
