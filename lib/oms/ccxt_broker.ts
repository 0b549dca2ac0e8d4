/**
 * `CcxtBroker` (DESIGN §8, REFERENCE "OMS" ccxt broker TWAP): executes parent orders on an
 * exchange through ccxt as waves of child limit orders, and reports one fill per parent.
 *
 * **Execution.** A parent of type `twap` — and, mapped to it, the fill conventions `close`,
 * `next_open`, `next_close`, `vwap` — runs waves over `[start, end)` (see `child_order_waves.ts`):
 * from `max(start, submission time)` every `executionFreqMs` (60 s), a wave skipped when less
 * than `minWaveRemainingMs` (4 s) remain. Each wave fetches the book (`fetchBidsAsks`, one request
 * for every symbol due), cancels the previous child and collects its trades, then places a new
 * child limit order: amount `static` (parent / waves, plus what earlier waves skipped) or
 * `dynamic` (what remains), price from bid/ask and the passivity factor, rounded to the market's
 * tick and amount step; a child under the minimum amount or cost is skipped. At `end` the last
 * child is cancelled and the child trades are folded into ONE parent fill: shares = Σ signed
 * filled, price = Σ cost / |Σ filled|, fee = Σ fees (in the quote currency), timestamp = the
 * last trade's time. A `limit` parent runs the same waves with each child's price capped at the
 * parent's limit price; a `market` parent is one market child at the first wave, settled at once.
 * A parent completes early when it is filled.
 *
 * **States** (through the one transition table): a parent whose first wave runs during
 * `submitOrders` is accepted after that wave (rejected when the exchange rejects its first
 * child); a parent starting later is accepted at once. It becomes `partially_filled` when
 * child trades arrive, and ends `filled`, or `cancelled` (its unfilled rest expired at `end` or
 * it was cancelled; a filled part is reported as a fill first), or `rejected` (its end already
 * passed, no wave fits, or its first child was rejected). A child rejected by the exchange later
 * stops the parent: the filled part is folded into the fill and the parent is cancelled.
 *
 * **Idempotency.** Child client order ids are deterministic — `<runId>-<parentId>-<wave>` — and
 * order creation is never retried blindly: after a timeout, dropped connection, 429 or 5xx on
 * `createOrder` the next attempt first looks the id up (`fetchOrder` with `origClientOrderId`)
 * and creates the order only if the exchange does not know it; a "duplicate order" answer also
 * leads to the lookup. A child whose fate stays unknown (the exchange keeps failing) is looked up
 * again at the next wave and at the end, and no further child of that parent is placed until it
 * is resolved. Cancels that fail because the order is no longer open (filled, cancelled, or the
 * first cancel's answer was lost) are resolved with `fetchOrder`. Trades are deduplicated by id,
 * and a child's trades must add up to its filled amount before it counts, so a fill is never
 * lost nor counted twice. If the children of a parent cannot be confirmed within
 * `settleTimeoutMs` after its end, the broker fails: `getFills` throws a `BrokerError`.
 *
 * **Time** is read only from the clock and every wait is a `sleepUntil` on it; the waves after
 * the first run in a background task (`clock.spawn` on a `ReplayedClock` inside `run()`, a
 * detached promise otherwise), and concurrent requests are issued through `runBranches`, so it
 * works on an event-driven `ReplayedClock` (no real waiting) and on the `RealClock` alike.
 *
 * **Logs**: every exchange request and response, parent and child order events, ccxt trades and
 * parent fills, as JSON lines under `<runDir>/broker/` (`CcxtBrokerLog`; secrets redacted).
 */
import { join } from "node:path";
import {
  BrokerError,
  ConfigError,
  DagtradeError,
  InterruptedError,
  NetworkBrokerError,
  UsageError,
} from "../errors/mod.ts";
import {
  assetIdOf,
  ccxtErrorClasses,
  ccxtSymbolOf,
  type Clock,
  ClockError,
  formatTime,
  fullSymbolOf,
  type RetryPolicy,
  translateCcxtError,
  withRetries,
} from "../sim/mod.ts";
import type { Broker, CancelOrdersOptions, SubmitOrdersOptions } from "./broker.ts";
import {
  type CcxtMarketRules,
  ccxtMarketRules,
  type CcxtMarketsSource,
} from "./ccxt_exchange_limits.ts";
import { CcxtBrokerLog } from "./ccxt_broker_log.ts";
import {
  childLimitPrice,
  type ChildOrderSide,
  childQuantity,
  type ChildQuantityMode,
  sizeChild,
  waveTimes,
} from "./child_order_waves.ts";
import { Fill } from "./fill.ts";
import { IdCounter } from "./id_counter.ts";
import type { Order } from "./order.ts";
import { isFinalOrderState, type OrderState } from "./order_state.ts";
import { type Branch, runBranches } from "./run_branches.ts";

/** The part of a ccxt exchange (after `loadMarkets`) the broker uses; a ccxt `binance` fits. */
export interface CcxtBrokerExchange extends CcxtMarketsSource {
  /** Headers of the last HTTP response (read for `Retry-After`). */
  readonly last_response_headers?: Readonly<Record<string, unknown>> | undefined;
  /** The API key (read only to keep it out of the logs). */
  readonly apiKey?: string | undefined;
  /** The secret (read only to keep it out of the logs). */
  readonly secret?: string | undefined;
  /** Loads the markets (again when `reload`). */
  loadMarkets(reload?: boolean): Promise<unknown>;
  /** Best bid and ask of `symbols`, by symbol. */
  fetchBidsAsks(symbols?: string[], params?: Record<string, unknown>): Promise<unknown>;
  /** Creates an order. */
  createOrder(
    symbol: string,
    type: string,
    side: string,
    amount: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
  /** One order (by id, or by `params.origClientOrderId`). */
  fetchOrder(id: string, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Cancels an open order. */
  cancelOrder(id: string, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  /** The trades of one order. */
  fetchOrderTrades(
    id: string,
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
}

/** Options of `CcxtBroker.create`. */
export interface CcxtBrokerOptions {
  /** The run's clock: every wait sleeps on it, every log line is stamped with it. Required. */
  clock: Clock;
  /**
   * The run id, the prefix of every client order id (`<runId>-<parentId>-<wave>`, at most 36
   * characters, letters, digits and `_` in the run id). It must differ between processes that
   * trade on the same account, or a restarted run would adopt its predecessor's orders. Required.
   */
  runId: string;
  /** The universe: ccxt symbols (`BTC/USDT`) or full symbols (`binance::BTC_USDT`). Required. */
  symbols: readonly string[];
  /** Logs go to `<runDir>/broker/`. Default: none (nothing logged; run-prod must pass it). */
  runDir?: string | undefined;
  /** Time between waves, ms. Default: 60_000. */
  executionFreqMs?: number | undefined;
  /** A wave is skipped when less than this remains before the parent's end, ms. Default: 4_000. */
  minWaveRemainingMs?: number | undefined;
  /** Passivity factor in [0, 1] (0: cross at the touch, 1: join the own side). Default: 0.5. */
  passivityFactor?: number | undefined;
  /** Child quantities: `static` (parent / waves) or `dynamic` (what remains). Default: `dynamic`. */
  quantityMode?: ChildQuantityMode | undefined;
  /** Retry policy of each exchange call. Default: `{ maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 }`. */
  retry?: RetryPolicy | undefined;
  /** Parents handled concurrently in a wave (requests in flight). Default: 16. */
  concurrency?: number | undefined;
  /** How long after a parent's end the broker keeps trying to confirm its children, ms. Default: 600_000. */
  settleTimeoutMs?: number | undefined;
  /** The run's fill id counter. Default: a new counter from 0. */
  fillIds?: IdCounter | undefined;
  /**
   * Starts the background task of the later waves. Default: `clock.spawn(task)` when the clock
   * has it (a `ReplayedClock` inside `run()`), else the task runs as a detached promise.
   */
  spawn?: ((task: () => Promise<void>) => unknown) | undefined;
}

/** What the broker has done so far (for tests and progress lines). */
export interface CcxtBrokerStats {
  /** Parent orders submitted. */
  parents: number;
  /** Child orders placed (created or adopted after a lookup). */
  children: number;
  /** Waves skipped (under the exchange minimum, no book, a child unconfirmed). */
  skippedWaves: number;
  /** Exchange calls made (attempts, retries included). */
  requests: number;
  /** Retries made. */
  retries: number;
  /** Parent fills reported. */
  fills: number;
}

type _ChildState = "placing" | "unknown" | "open" | "closed" | "absent" | "rejected";

interface _Child {
  clientOrderId: string;
  wave: number;
  type: "limit" | "market";
  amount: number;
  price: number | undefined;
  exchangeId: string | undefined;
  state: _ChildState;
  /** Filled amount as the exchange last reported it. */
  filled: number;
  /** Whether the order's existence must be checked before anything else. */
  needsLookup: boolean;
  /** Final and its trades collected. */
  settled: boolean;
}

interface _Trade {
  id: string;
  child: string;
  timestamp: number;
  amount: number;
  price: number;
  cost: number;
  fee: number;
}

interface _Parent {
  order: Order;
  symbol: string;
  rules: CcxtMarketRules;
  side: ChildOrderSide;
  total: number;
  kind: "waves" | "market";
  limit: number | undefined;
  waves: number[];
  /** Index of the next wave to place. */
  next: number;
  children: _Child[];
  trades: Map<string, _Trade>;
  carried: number;
  done: boolean;
  stopReason: string | undefined;
  /** Past the end with children unconfirmed: when to try again. */
  retryAt: number | undefined;
  /** Set while a task works on the parent. */
  busy: Promise<void> | undefined;
}

interface _Settings {
  executionFreqMs: number;
  minWaveRemainingMs: number;
  passivityFactor: number;
  quantityMode: ChildQuantityMode;
  concurrency: number;
  settleTimeoutMs: number;
}

interface _Book {
  bid: number;
  ask: number;
}

const _DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 };
const _CLIENT_ID = /^[A-Za-z0-9_-]{1,36}$/;

/** A `Broker` that executes parent orders as waves of ccxt child orders (see the module doc). */
export class CcxtBroker implements Broker {
  /** The exchange traded on. */
  readonly exchange: CcxtBrokerExchange;
  /** The run's clock. */
  readonly clock: Clock;
  /** The client order id prefix. */
  readonly runId: string;
  /** The logs under `<runDir>/broker/`. */
  readonly log: CcxtBrokerLog;
  readonly #o: _Settings;
  readonly #retry: RetryPolicy;
  readonly #symbols: ReadonlyMap<number, string>;
  readonly #rules = new Map<string, CcxtMarketRules>();
  readonly #fillIds: IdCounter;
  readonly #spawn: ((task: () => Promise<void>) => unknown) | undefined;
  #parents: _Parent[] = [];
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #closing = new AbortController();
  #fills: Fill[] = [];
  #failure: DagtradeError | undefined;
  #stats: CcxtBrokerStats = {
    parents: 0,
    children: 0,
    skippedWaves: 0,
    requests: 0,
    retries: 0,
    fills: 0,
  };

  /** Use `CcxtBroker.create` (it loads the markets and checks the symbols). */
  constructor(exchange: CcxtBrokerExchange, options: CcxtBrokerOptions) {
    const {
      executionFreqMs = 60_000,
      minWaveRemainingMs = 4_000,
      passivityFactor = 0.5,
      quantityMode = "dynamic",
      concurrency = 16,
      settleTimeoutMs = 600_000,
    } = options;
    if (!/^[A-Za-z0-9_]{1,30}$/.test(options.runId)) {
      throw new UsageError(
        `CcxtBroker: run id '${options.runId}' must be 1 to 30 letters, digits or '_' ` +
          `(it prefixes the exchange's client order ids)`,
      );
    }
    if (!(passivityFactor >= 0 && passivityFactor <= 1)) {
      throw new UsageError(
        `CcxtBroker: passivityFactor must be in [0, 1], got ${passivityFactor}`,
      );
    }
    if (quantityMode !== "static" && quantityMode !== "dynamic") {
      throw new UsageError(
        `CcxtBroker: quantityMode must be 'static' or 'dynamic', got '${String(quantityMode)}'`,
      );
    }
    if (!(Number.isFinite(settleTimeoutMs) && settleTimeoutMs >= 0)) {
      throw new UsageError(`CcxtBroker: settleTimeoutMs must be >= 0, got ${settleTimeoutMs}`);
    }
    waveTimes(0, 1, { executionFreqMs, minWaveRemainingMs });
    this.exchange = exchange;
    this.clock = options.clock;
    this.runId = options.runId;
    this.#o = {
      executionFreqMs,
      minWaveRemainingMs,
      passivityFactor,
      quantityMode,
      concurrency,
      settleTimeoutMs,
    };
    this.#retry = options.retry ?? _DEFAULT_RETRY;
    this.#fillIds = options.fillIds ?? new IdCounter();
    this.#spawn = options.spawn;
    const symbols = new Map<number, string>();
    for (const s of options.symbols) {
      const full = s.includes("::") ? s : fullSymbolOf(exchange.id, s);
      const symbol = ccxtSymbolOf(full);
      this.#rules.set(symbol, ccxtMarketRules(exchange, symbol));
      symbols.set(assetIdOf(full), symbol);
    }
    if (symbols.size === 0) throw new UsageError("CcxtBroker: no symbols to trade");
    this.#symbols = symbols;
    this.log = new CcxtBrokerLog(
      options.runDir === undefined ? undefined : join(options.runDir, "broker"),
      { secrets: [exchange.apiKey, exchange.secret] },
    );
  }

  /**
   * Loads the exchange's markets (retried on the clock) and creates the broker. Throws
   * `DataError` for a symbol the exchange does not list and `UsageError` for bad options.
   */
  static async create(
    exchange: CcxtBrokerExchange,
    options: CcxtBrokerOptions,
  ): Promise<CcxtBroker> {
    const policy = options.retry ?? _DEFAULT_RETRY;
    await withRetries(async (attempt) => {
      try {
        return await exchange.loadMarkets(attempt > 1);
      } catch (error) {
        throw translateCcxtError(error, {
          what: `Cannot load ${exchange.id} markets`,
          responseHeaders: exchange.last_response_headers,
          now: options.clock.now(),
        });
      }
    }, { clock: options.clock, what: `load ${exchange.id} markets`, policy });
    return new CcxtBroker(exchange, options);
  }

  /** Counts of what the broker did (a copy). */
  get stats(): CcxtBrokerStats {
    return { ...this.#stats };
  }

  /**
   * Accepts `orders` (each `submitted`) and runs the first wave of those whose execution starts
   * now; later waves run in the background. Throws `UsageError` — before changing any order —
   * for an order not in state `submitted`, a sized-at-fill order (a live broker cannot size at
   * the fill), an asset outside the universe, or a client order id longer than 36 characters.
   * Throws the broker's failure, if any (see `getFills`).
   */
  async submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void> {
    this.#throwFailure();
    const wallTime = options.wallTime;
    if (!Number.isFinite(wallTime)) {
      throw new UsageError(`CcxtBroker.submitOrders: wallTime must be epoch ms, got ${wallTime}`);
    }
    for (const order of orders) this.#check(order);
    // Forget the parents that are over (their fills were reported); keep the unresolved ones.
    this.#parents = this.#parents.filter((p) => !p.done || !isFinalOrderState(p.order.state));
    const now = Math.max(wallTime, this.clock.now());
    const parents: _Parent[] = [];
    for (const order of orders) {
      const symbol = this.#symbols.get(order.assetId) as string;
      const rules = this.#rules.get(symbol) as CcxtMarketRules;
      const first = Math.max(order.startTimestamp, now);
      const kind = order.type === "market" ? "market" : "waves";
      const waves = kind === "market"
        ? (order.endTimestamp > first ? [first] : [])
        : waveTimes(first, order.endTimestamp, this.#o);
      const parent: _Parent = {
        order,
        symbol,
        rules,
        side: order.diffShares > 0 ? "buy" : "sell",
        total: Math.abs(order.diffShares),
        kind,
        limit: order.type === "limit" ? order.limitPrice : undefined,
        waves,
        next: 0,
        children: [],
        trades: new Map(),
        carried: 0,
        done: false,
        stopReason: undefined,
        retryAt: undefined,
        busy: undefined,
      };
      this.#stats.parents++;
      this.#parents.push(parent);
      this.#logParent(parent, "submitted", {
        waves: waves.map(formatTime),
        symbol,
        kind,
      });
      if (order.endTimestamp <= now || waves.length === 0) {
        const why = order.endTimestamp <= now
          ? `its end ${formatTime(order.endTimestamp)} is not after ${formatTime(now)}`
          : `no wave fits before its end ${formatTime(order.endTimestamp)}`;
        parent.done = true;
        this.#moveTo(parent, "rejected", why);
        continue;
      }
      if (first > now) this.#moveTo(parent, "accepted", "first wave later");
      parents.push(parent);
    }
    const due = parents.filter((p) => this.#nextEvent(p) <= now);
    if (due.length > 0) await this.#round(due);
    for (const p of due) {
      if (p.order.state === "submitted") this.#moveTo(p, "accepted", "first wave placed");
    }
    const active = parents.filter((p) => !p.done);
    if (active.length > 0) this.#startExecutor(active);
  }

  /**
   * The parent fills reported since the last call, in the order the parents completed. Throws
   * the broker's failure (`BrokerError`: children that could not be confirmed, or an exchange
   * error that stops trading, e.g. an authentication failure) once it happened.
   */
  getFills(): Fill[] {
    this.#throwFailure();
    const fills = this.#fills;
    this.#fills = [];
    return fills;
  }

  /** The parents accepted (or waiting for their first wave) and not final, in submission order. */
  openOrders(): Order[] {
    return this.#parents.filter((p) => !isFinalOrderState(p.order.state)).map((p) => p.order);
  }

  /**
   * Cancels the open parents among `orderIds` now: their current child is cancelled, the filled
   * part is reported as a fill, the parent ends `cancelled`. Others are ignored.
   */
  async cancelOrders(orderIds: readonly number[], _options: CancelOrdersOptions): Promise<void> {
    const ids = new Set(orderIds);
    const targets = this.#parents.filter((p) => ids.has(p.order.id) && !p.done);
    for (const p of targets) p.stopReason ??= "cancelled by the caller";
    await this.#round(targets, true);
  }

  /**
   * Cancels every open parent (as `cancelOrders`), stops the background waves and closes the
   * logs. Call it when the run ends so that no child order is left resting on the exchange.
   */
  async close(): Promise<void> {
    try {
      const open = this.#parents.filter((p) => !p.done);
      for (const p of open) p.stopReason ??= "the broker was closed";
      if (open.length > 0) await this.#round(open, true);
    } finally {
      this.#closing.abort(new InterruptedError("CcxtBroker closed"));
      this.log.close();
    }
  }

  /** Resolves once every background wave task has finished (it never rejects). */
  async waitUntilIdle(): Promise<void> {
    while (this.#tasks.size > 0) await this.#waitForOther(Promise.allSettled([...this.#tasks]));
  }

  // ---- validation and states ----

  #check(order: Order): void {
    if (order.state !== "submitted") {
      throw new UsageError(
        `CcxtBroker: order ${order.id} is ${order.state}; only submitted orders can be submitted`,
      );
    }
    if (order.sizedAtFill) {
      throw new UsageError(
        `CcxtBroker cannot execute order ${order.id}: it is sized at fill ` +
          `(target_weight=${order.targetWeight}), which only a simulated broker can do; ` +
          `use gmv sizing or a fill convention that sizes at the decision`,
      );
    }
    if (!this.#symbols.has(order.assetId)) {
      throw new UsageError(
        `CcxtBroker: order ${order.id} is for asset ${order.assetId}, which is not in the ` +
          `broker's universe (${[...this.#symbols.values()].join(", ")})`,
      );
    }
    const id = this.#clientId(order.id, 999);
    if (!_CLIENT_ID.test(id)) {
      throw new UsageError(
        `CcxtBroker: client order id ${id} of order ${order.id} is longer than 36 characters; ` +
          `use a shorter run id`,
      );
    }
  }

  #clientId(parentId: number, wave: number): string {
    return `${this.runId}-${parentId}-${wave}`;
  }

  /** Moves the parent to `to` along the legal path (submitted → accepted → …). */
  #moveTo(parent: _Parent, to: OrderState, why: string): void {
    const order = parent.order;
    const path: OrderState[] = [];
    const from = order.state;
    if (from === to && to !== "partially_filled") return;
    if (to === "rejected" || (to === "accepted" && from === "submitted")) path.push(to);
    else {
      if (from === "submitted") path.push("accepted");
      if (to === "partially_filled" && from !== "partially_filled") path.push(to);
      if (to === "filled" || to === "cancelled") path.push(to);
    }
    for (const s of path) {
      order.transition(s);
      this.#logParent(parent, "state", { state: s, reason: why });
    }
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(error: DagtradeError): void {
    if (this.#failure === undefined) {
      this.#failure = error;
      this.log.write("parent", {
        time: this.clock.now(),
        event: "broker_failed",
        error: error.message,
      });
    }
  }

  // ---- scheduling ----

  /** When the parent next needs work (a wave, its end, a retry), or +∞ when it is done. */
  #nextEvent(p: _Parent): number {
    if (p.done) return Number.POSITIVE_INFINITY;
    if (p.stopReason !== undefined) return this.clock.now();
    if (p.next < p.waves.length) return p.waves[p.next] as number;
    const end = p.order.endTimestamp;
    // Past the end with children still unconfirmed: `retryAt`.
    return Math.max(end, p.retryAt ?? end);
  }

  #startExecutor(parents: _Parent[]): void {
    const task = async (): Promise<void> => {
      try {
        for (;;) {
          if (this.#failure !== undefined) return;
          const active = parents.filter((p) => !p.done);
          if (active.length === 0) return;
          let t = Number.POSITIVE_INFINITY;
          for (const p of active) t = Math.min(t, this.#nextEvent(p));
          await this.clock.sleepUntil(t, this.#closing.signal);
          const now = this.clock.now();
          const due = active.filter((p) => this.#nextEvent(p) <= now);
          if (due.length > 0) await this.#round(due);
        }
      } catch (error) {
        if (error instanceof InterruptedError && this.#closing.signal.aborted) return;
        this.#fail(
          error instanceof DagtradeError ? error : new BrokerError(
            `CcxtBroker: the background waves failed: ${_msg(error)}`,
            { cause: error },
          ),
        );
      }
    };
    let promise: Promise<unknown>;
    const spawn = this.#spawn ?? this.#defaultSpawn();
    try {
      promise = Promise.resolve(spawn(task));
    } catch (error) {
      promise = Promise.reject(error);
    }
    const tracked = promise.catch((error: unknown) => {
      this.#fail(
        new BrokerError(`CcxtBroker: cannot run the background waves: ${_msg(error)}`, {
          cause: error,
        }),
      );
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  #defaultSpawn(): (task: () => Promise<void>) => unknown {
    const clock = this.clock as { spawn?: (fn: () => Promise<void>) => Promise<void> };
    return (task) => {
      if (typeof clock.spawn === "function") {
        try {
          return clock.spawn.call(this.clock, task);
        } catch (error) {
          if (!(error instanceof ClockError)) throw error;
        }
      }
      return task();
    };
  }

  /** One round: the book for the parents placing a wave, then every due parent concurrently. */
  async #round(due: readonly _Parent[], final = false): Promise<void> {
    const now = this.clock.now();
    const placing = due.filter((p) =>
      !final && p.stopReason === undefined && p.next < p.waves.length &&
      (p.waves[p.next] as number) <= now
    );
    const books = placing.length > 0
      ? await this.#fetchBooks([...new Set(placing.map((p) => p.symbol))])
      : new Map<string, _Book>();
    const branches: Branch<void>[] = due.map((p) => (clock: Clock) =>
      this.#locked(p, () => this.#step(p, books, clock, final))
    );
    const results = await runBranches(branches, {
      clock: this.clock,
      concurrency: this.#o.concurrency,
      signal: this.#closing.signal,
    });
    for (const r of results) {
      if (r.status === "rejected") {
        const error = r.reason;
        if (error instanceof InterruptedError) throw error;
        this.#fail(
          error instanceof DagtradeError
            ? error
            : new BrokerError(`CcxtBroker: a wave failed: ${_msg(error)}`, { cause: error }),
        );
      }
    }
  }

  /** Runs `fn` alone on the parent (another task may be working on it: wait for it first). */
  async #locked(p: _Parent, fn: () => Promise<void>): Promise<void> {
    while (p.busy !== undefined) await this.#waitForOther(p.busy);
    let release = (): void => {};
    p.busy = new Promise<void>((resolve) => (release = resolve));
    try {
      await fn();
    } finally {
      p.busy = undefined;
      release();
    }
  }

  /** Awaits a promise another task settles (`clock.waitFor` on a `ReplayedClock`). */
  async #waitForOther(promise: Promise<unknown>): Promise<void> {
    const waitFor = (this.clock as { waitFor?: <T>(p: PromiseLike<T>) => Promise<T> }).waitFor;
    if (typeof waitFor === "function") await waitFor.call(this.clock, promise);
    else await promise;
  }

  /** The work due for one parent: settle the previous child, then place a wave or finish. */
  async #step(p: _Parent, books: ReadonlyMap<string, _Book>, clock: Clock, final: boolean) {
    if (p.done) return;
    const now = clock.now();
    const unsettled = p.children.filter((c) => !c.settled);
    let confirmed = true;
    for (const child of unsettled) {
      if (!(await this.#settle(p, child, clock))) confirmed = false;
    }
    const filled = this.#filled(p);
    if (filled > 0 && p.order.state !== "partially_filled") {
      this.#moveTo(p, "partially_filled", "child trades");
    }
    const complete = p.total - filled <= this.#epsilon(p);
    const placing = !final && !complete && p.stopReason === undefined &&
      p.next < p.waves.length && (p.waves[p.next] as number) <= now;
    if (placing) {
      const wave = p.next++;
      if (!confirmed) {
        this.#skip(p, wave, "the previous child order is not confirmed yet", this.#wanted(p));
      } else {
        await this.#placeWave(p, wave, books.get(p.symbol), clock);
      }
    }
    const ended = final || complete || p.stopReason !== undefined ||
      (p.next >= p.waves.length && now >= p.order.endTimestamp) ||
      (p.kind === "market" && p.next >= p.waves.length);
    if (!ended) return;
    // Finishing: every child must be confirmed first.
    const open = p.children.filter((c) => !c.settled);
    let allConfirmed = true;
    for (const child of open) {
      if (!(await this.#settle(p, child, clock))) allConfirmed = false;
    }
    if (!allConfirmed) {
      const at = clock.now();
      if (final || at >= p.order.endTimestamp + this.#o.settleTimeoutMs) {
        const ids = p.children.filter((c) => !c.settled).map((c) => c.clientOrderId);
        p.done = true;
        this.#fail(
          new BrokerError(
            `CcxtBroker: cannot confirm child order(s) ${ids.join(", ")} of parent order ` +
              `${p.order.id} (${p.symbol}) by ${formatTime(at)}: the exchange keeps failing, ` +
              `so their fills are unknown; check the orders on the exchange (see ` +
              `${this.log.dir ?? "the broker log"})`,
          ),
        );
      } else {
        p.retryAt = Math.max(at, p.order.endTimestamp) + Math.min(this.#o.executionFreqMs, 60_000);
      }
      return;
    }
    this.#finish(p, complete ? "filled" : p.stopReason ?? "its end passed");
  }

  #epsilon(p: _Parent): number {
    return p.rules.amountStep !== undefined ? p.rules.amountStep / 2 : p.total * 1e-9;
  }

  #filled(p: _Parent): number {
    let sum = 0;
    for (const t of p.trades.values()) sum += t.amount;
    return sum;
  }

  /** What the next child should trade (before rounding and limits). */
  #wanted(p: _Parent): number {
    return childQuantity({
      mode: this.#o.quantityMode,
      total: p.total,
      waves: p.waves.length,
      remaining: p.total - this.#filled(p),
      carried: p.carried,
    });
  }

  /** Records a skipped wave; in static mode its amount is carried into the next wave. */
  #skip(p: _Parent, wave: number, reason: string, wanted: number): void {
    this.#stats.skippedWaves++;
    if (this.#o.quantityMode === "static") p.carried = wanted;
    this.log.write("child", {
      time: this.clock.now(),
      event: "skipped",
      parent_id: p.order.id,
      wave,
      client_order_id: this.#clientId(p.order.id, wave),
      symbol: p.symbol,
      reason,
    });
  }

  async #placeWave(p: _Parent, wave: number, book: _Book | undefined, clock: Clock) {
    const wanted = this.#wanted(p);
    if (book === undefined) {
      this.#skip(p, wave, "no bid/ask for the symbol", wanted);
      return;
    }
    const touch = p.side === "buy" ? book.ask : book.bid;
    const price = p.kind === "market" ? undefined : childLimitPrice(p.side, {
      bid: book.bid,
      ask: book.ask,
      passivity: this.#o.passivityFactor,
    }, { tick: p.rules.priceTick, limit: p.limit });
    const sized = sizeChild(wanted, price ?? touch, p.rules);
    if (sized.skip !== undefined) {
      this.#skip(p, wave, sized.skip, wanted);
      return;
    }
    if (this.#o.quantityMode === "static") p.carried = Math.max(0, wanted - sized.amount);
    const child: _Child = {
      clientOrderId: this.#clientId(p.order.id, wave),
      wave,
      type: p.kind === "market" ? "market" : "limit",
      amount: sized.amount,
      price,
      exchangeId: undefined,
      state: "placing",
      filled: 0,
      needsLookup: false,
      settled: false,
    };
    p.children.push(child);
    this.#logChild(p, child, "placing", { bid: book.bid, ask: book.ask });
    const ok = await this.#place(p, child, clock);
    if (ok && child.type === "market") await this.#settle(p, child, clock);
  }

  /** Places `child`, never creating it twice; false when it was rejected or stays unknown. */
  async #place(p: _Parent, child: _Child, clock: Clock): Promise<boolean> {
    const cid = child.clientOrderId;
    try {
      await this.#retrying(`place child order ${cid}`, clock, async () => {
        if (child.needsLookup) {
          const found = await this.#lookup(p, child);
          if (found !== undefined) {
            this.#adopt(p, child, found, "adopted after lookup");
            return;
          }
        }
        let answer: unknown;
        try {
          answer = await this.#call(
            "createOrder",
            [p.symbol, child.type, p.side, child.amount, child.price, { newClientOrderId: cid }],
            () =>
              this.exchange.createOrder(
                p.symbol,
                child.type,
                p.side,
                child.amount,
                child.price,
                { newClientOrderId: cid },
              ),
          );
        } catch (error) {
          if (error instanceof BrokerError && error.retryable) {
            child.needsLookup = true;
            throw error;
          }
          if (_isDuplicate(error)) {
            const found = await this.#lookup(p, child);
            if (found !== undefined) {
              this.#adopt(p, child, found, "adopted after a duplicate answer");
              return;
            }
            child.needsLookup = true;
            throw new NetworkBrokerError(
              `The exchange calls ${cid} a duplicate but does not find it (retrying the lookup)`,
              { cause: error },
            );
          }
          throw error;
        }
        this.#adopt(p, child, answer, "created");
      });
      this.#stats.children++;
      return true;
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      if (error instanceof ConfigError) throw error;
      if (child.needsLookup) {
        child.state = "unknown";
        this.#logChild(p, child, "unknown", { error: _msg(error) });
        return false;
      }
      child.state = "rejected";
      child.settled = true;
      p.stopReason = `child order ${cid} was rejected: ${_msg(error)}`;
      this.#logChild(p, child, "rejected", { error: _msg(error) });
      return false;
    }
  }

  /**
   * Brings `child` to a final, confirmed state with its trades collected (cancelling it when it
   * is open). False when the exchange keeps failing (the child stays unconfirmed).
   */
  async #settle(p: _Parent, child: _Child, clock: Clock): Promise<boolean> {
    if (child.settled) return true;
    const cid = child.clientOrderId;
    try {
      await this.#retrying(`settle child order ${cid}`, clock, async () => {
        if (child.needsLookup || child.exchangeId === undefined) {
          const found = await this.#lookup(p, child);
          child.needsLookup = false;
          if (found === undefined) {
            child.state = "absent";
            return;
          }
          this.#adopt(p, child, found, "found by lookup");
        }
        const id = child.exchangeId as string;
        if (child.state === "open") {
          let answer: unknown;
          try {
            answer = await this.#call(
              "cancelOrder",
              [id, p.symbol],
              () => this.exchange.cancelOrder(id, p.symbol),
            );
          } catch (error) {
            if (error instanceof BrokerError && error.retryable) throw error;
            if (error instanceof ConfigError) throw error;
            // Not open any more (filled, cancelled, or an earlier cancel's answer was lost).
            answer = await this.#call(
              "fetchOrder",
              [id, p.symbol],
              () => this.exchange.fetchOrder(id, p.symbol),
            );
            this.#adopt(p, child, answer, "state after a refused cancel");
            if (child.state === "open") throw error;
            answer = undefined;
          }
          if (answer !== undefined) this.#adopt(p, child, answer, "cancelled");
          if (child.state === "open") {
            const fresh = await this.#call(
              "fetchOrder",
              [id, p.symbol],
              () => this.exchange.fetchOrder(id, p.symbol),
            );
            this.#adopt(p, child, fresh, "state after cancel");
            if (child.state === "open") {
              throw new NetworkBrokerError(`child order ${cid} is still open after its cancel`);
            }
          }
        }
        if (child.state === "closed" && child.filled > 0) {
          const have = this.#childFilled(p, cid);
          if (have < child.filled - this.#epsilon(p)) {
            const raw = await this.#call(
              "fetchOrderTrades",
              [id, p.symbol],
              () => this.exchange.fetchOrderTrades(id, p.symbol),
            );
            this.#addTrades(p, child, raw);
            const got = this.#childFilled(p, cid);
            if (got < child.filled - this.#epsilon(p)) {
              throw new NetworkBrokerError(
                `the trades of child order ${cid} add up to ${got}, its filled amount is ` +
                  `${child.filled} (waiting for the exchange to list them)`,
              );
            }
          }
        }
      });
    } catch (error) {
      if (error instanceof InterruptedError || error instanceof ConfigError) throw error;
      this.#logChild(p, child, "unconfirmed", { error: _msg(error) });
      return false;
    }
    child.settled = true;
    this.#logChild(p, child, "settled", { filled: this.#childFilled(p, cid) });
    return true;
  }

  /** The order with the child's client id, or `undefined` when the exchange does not know it. */
  async #lookup(p: _Parent, child: _Child): Promise<unknown> {
    const cid = child.clientOrderId;
    try {
      return await this.#call(
        "fetchOrder",
        [cid, p.symbol, { origClientOrderId: cid }],
        () => this.exchange.fetchOrder(cid, p.symbol, { origClientOrderId: cid }),
      );
    } catch (error) {
      if (_isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Reads a ccxt order answer into the child. */
  #adopt(p: _Parent, child: _Child, raw: unknown, how: string): void {
    const o = (raw ?? {}) as {
      id?: unknown;
      status?: unknown;
      filled?: unknown;
      clientOrderId?: unknown;
    };
    if (o.id !== undefined && o.id !== null) child.exchangeId = String(o.id);
    const filled = typeof o.filled === "number" && Number.isFinite(o.filled) ? o.filled : 0;
    child.filled = Math.max(child.filled, filled);
    const status = typeof o.status === "string" ? o.status : "open";
    child.state = status === "open" ? "open" : "closed";
    child.needsLookup = false;
    this.#logChild(p, child, how, { status, filled });
  }

  #childFilled(p: _Parent, cid: string): number {
    let sum = 0;
    for (const t of p.trades.values()) if (t.child === cid) sum += t.amount;
    return sum;
  }

  #addTrades(p: _Parent, child: _Child, raw: unknown): void {
    if (!Array.isArray(raw)) return;
    const market = (this.exchange.markets?.[p.symbol] ?? {}) as { base?: unknown; quote?: unknown };
    for (const item of raw) {
      const t = (item ?? {}) as {
        id?: unknown;
        order?: unknown;
        timestamp?: unknown;
        amount?: unknown;
        price?: unknown;
        cost?: unknown;
        fee?: { cost?: unknown; currency?: unknown } | undefined;
      };
      if (
        t.order !== undefined && child.exchangeId !== undefined &&
        String(t.order) !== child.exchangeId
      ) {
        continue;
      }
      const id = `${p.symbol}:${String(t.id)}`;
      if (p.trades.has(id)) continue;
      const amount = _num(t.amount);
      const price = _num(t.price);
      if (!(amount > 0 && price > 0)) continue;
      const cost = Number.isFinite(_num(t.cost)) && _num(t.cost) > 0
        ? _num(t.cost)
        : amount * price;
      let fee = 0;
      const feeCost = _num(t.fee?.cost);
      const currency = t.fee?.currency;
      if (Number.isFinite(feeCost) && feeCost !== 0) {
        if (currency === market.quote || currency === undefined) fee = feeCost;
        else if (currency === market.base) fee = feeCost * price;
        else {
          this.log.write("trade", {
            time: this.clock.now(),
            event: "fee_not_converted",
            trade_id: t.id,
            fee: t.fee,
            reason: `the fee is in ${String(currency)}, neither ${String(market.base)} nor ` +
              `${String(market.quote)}; it is not counted in the fill's fee`,
          });
        }
      }
      const ts = _num(t.timestamp);
      const trade: _Trade = {
        id,
        child: child.clientOrderId,
        timestamp: Number.isFinite(ts) ? ts : this.clock.now(),
        amount,
        price,
        cost,
        fee,
      };
      p.trades.set(id, trade);
      this.log.write("trade", {
        time: this.clock.now(),
        parent_id: p.order.id,
        client_order_id: child.clientOrderId,
        trade: item,
      });
    }
  }

  /** Folds the parent's trades into one fill and ends it. */
  #finish(p: _Parent, reason: string): void {
    p.done = true;
    let amount = 0;
    let cost = 0;
    let fee = 0;
    let last = Number.NEGATIVE_INFINITY;
    for (const t of p.trades.values()) {
      amount += t.amount;
      cost += t.cost;
      fee += t.fee;
      last = Math.max(last, t.timestamp);
    }
    if (amount > 0) {
      const fill = Fill.create(this.#fillIds, {
        orderId: p.order.id,
        assetId: p.order.assetId,
        timestamp: last,
        shares: p.side === "buy" ? amount : -amount,
        price: cost / amount,
        fee,
      });
      this.#fills.push(fill);
      this.#stats.fills++;
      this.log.write("fill", {
        time: this.clock.now(),
        fill: fill.toString(),
        parent_id: p.order.id,
        symbol: p.symbol,
        trades: p.trades.size,
        children: p.children.length,
      });
    }
    const complete = p.total - amount <= this.#epsilon(p);
    if (complete) this.#moveTo(p, "filled", reason);
    else if (amount > 0) this.#moveTo(p, "cancelled", `${reason}; filled ${amount} of ${p.total}`);
    else if (p.order.state === "submitted") this.#moveTo(p, "rejected", reason);
    else this.#moveTo(p, "cancelled", `${reason}; nothing filled`);
    this.#logParent(p, "final", { filled: amount, total: p.total, reason });
  }

  // ---- exchange calls ----

  async #fetchBooks(symbols: string[]): Promise<Map<string, _Book>> {
    const out = new Map<string, _Book>();
    try {
      const raw = await this.#retrying(
        `fetch the book of ${symbols.join(", ")}`,
        this.clock,
        () => this.#call("fetchBidsAsks", [symbols], () => this.exchange.fetchBidsAsks(symbols)),
      );
      const tickers = (raw ?? {}) as Record<string, { bid?: unknown; ask?: unknown } | undefined>;
      for (const s of symbols) {
        const bid = _num(tickers[s]?.bid);
        const ask = _num(tickers[s]?.ask);
        if (bid > 0 && ask > 0 && bid <= ask) out.set(s, { bid, ask });
      }
    } catch (error) {
      if (error instanceof InterruptedError || error instanceof ConfigError) throw error;
      this.log.write("request", {
        time: this.clock.now(),
        method: "fetchBidsAsks",
        event: "gave_up",
        error: _msg(error),
      });
    }
    return out;
  }

  /** `withRetries` on `clock` with the broker's policy, counting retries. */
  #retrying<T>(what: string, clock: Clock, fn: () => Promise<T>): Promise<T> {
    return withRetries(() => fn(), {
      clock,
      what,
      policy: this.#retry,
      signal: this.#closing.signal,
      onRetry: (event) => {
        this.#stats.retries++;
        this.log.write("request", {
          time: this.clock.now(),
          event: "retry",
          what,
          retry: event.retry,
          delay_ms: event.delayMs,
          error: event.error.message,
        });
      },
    });
  }

  /** One exchange call: logged (request and response or error), errors translated. */
  async #call<T>(method: string, args: unknown[], fn: () => Promise<T>): Promise<T> {
    this.#stats.requests++;
    const time = this.clock.now();
    try {
      const response = await fn();
      this.log.write("request", { time, method, args, ok: true, response });
      return response;
    } catch (error) {
      const translated = translateCcxtError(error, {
        what: `Cannot ${method} on ${this.exchange.id}`,
        responseHeaders: this.exchange.last_response_headers,
        now: this.clock.now(),
      });
      this.log.write("request", {
        time,
        method,
        args,
        ok: false,
        error: translated.message,
        error_class: ccxtErrorClasses(error)[0] ??
          (error instanceof Error ? error.name : "unknown"),
      });
      throw translated;
    }
  }

  #logParent(p: _Parent, event: string, extra: Record<string, unknown>): void {
    this.log.write("parent", {
      time: this.clock.now(),
      event,
      parent_id: p.order.id,
      order: p.order.toString(),
      ...extra,
    });
  }

  #logChild(p: _Parent, child: _Child, event: string, extra: Record<string, unknown>): void {
    this.log.write("child", {
      time: this.clock.now(),
      event,
      parent_id: p.order.id,
      client_order_id: child.clientOrderId,
      exchange_order_id: child.exchangeId ?? null,
      wave: child.wave,
      symbol: p.symbol,
      side: p.side,
      type: child.type,
      amount: child.amount,
      price: child.price ?? null,
      state: child.state,
      ...extra,
    });
  }
}

/** Whether a (translated) error says the order does not exist / is not open. */
function _isNotFound(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const classes = [...ccxtErrorClasses(error), ...ccxtErrorClasses(cause)];
  if (classes.includes("OrderNotFound")) return true;
  const text = _msg(error);
  return /-2013|-2011|Order does not exist|Unknown order sent/i.test(text);
}

/** Whether a (translated) error is a "duplicate client order id" rejection. */
function _isDuplicate(error: unknown): boolean {
  return /Duplicate order sent|duplicate.*client.*order/i.test(_msg(error));
}

function _num(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
}

function _msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
