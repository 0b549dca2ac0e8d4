/**
 * `CcxtMarketData`: the `MarketData` interface (DESIGN §5) over bars polled live from an
 * exchange through ccxt (`fetchOHLCV`), for `run-prod`.
 *
 * - **Polling.** `waitForLatestData(barEnd)` drives it: at `barEnd + pollDelayMs` on the clock
 *   it fetches, for every symbol that lacks the bar, the closed bars since the last one it has,
 *   then polls again every `pollMs` until the bar is there or the timeout runs out; `poll()`
 *   does one round by hand. The first poll of a symbol fetches the history the DAG needs: the
 *   bars ending in `(T − warmupBars · bar, T]`, T the last bar end at or before the clock's time
 *   (the bar waited for, when polled after its end). Each request goes through `withRetries`
 *   (network errors, 429 with `Retry-After`, 5xx; capped exponential backoff on the clock).
 * - **Received bars** are stamped `knowledge_timestamp` = the clock's time at receipt; a bar
 *   whose end is after the receipt time (still forming) is dropped, a bar already received is
 *   ignored (first receipt wins), and new bars are validated (bar contract). They are appended
 *   to the in-memory frame (the last `retainBars` bars are kept) and persisted as they arrive to
 *   `<runDir>/market_data/bars.jsonl` (one JSON line per bar, one append per poll; a crash
 *   loses at most the poll being written; `readReceivedBars` reads it back, skipping a truncated
 *   last line); `close()` consolidates it into `<runDir>/market_data/bars.parquet`.
 * - **Queries** (`getData`, `lastPrice`, `twapPrice`, …) have exactly `FrameMarketData`'s
 *   semantics: the class answers them through a `FrameMarketData` rebuilt over the grown frame
 *   after each poll that brought new bars.
 * - **Timeouts** tell the two failures apart (`MarketDataTimeoutError.reason`): `late` — the
 *   exchange answers but its last closed bar is older (`Bar 2025-01-03T10:05Z of
 *   binance::BTC_USDT is late: the exchange answered at … but its last closed bar is …`);
 *   `down` — the requests keep failing after their retries (`Exchange binance is down: …`).
 *   A symbol with a later bar than `barEnd` but none at `barEnd` is a gap: not waited for.
 *   Errors that retrying cannot fix (unknown symbol, authentication) are thrown at once.
 */
import pl from "nodejs-polars";
import { join } from "node:path";
import {
  BrokerError,
  ConfigError,
  type DagtradeErrorOptions,
  DataError,
  InterruptedError,
  TimeoutError,
  UsageError,
} from "../errors/mod.ts";
import { atomicWriteWith } from "../fs/mod.ts";
import { assetIdOf } from "./asset_id.ts";
import { BAR_COLUMNS, formatTime } from "./bar_schema.ts";
import type { Clock } from "./clock.ts";
import { CcxtOhlcvFetcher, type OhlcvExchange } from "./ccxt_ohlcv_fetcher.ts";
import { FrameMarketData } from "./frame_market_data.ts";
import type { MarketData, MarketDataQueryOptions, WaitForDataOptions } from "./market_data.ts";
import { ohlcvToBars, type ReceivedCandles } from "./ohlcv_to_bars.ts";
import { validateBars } from "./validate_bars.ts";
import type { RetryEvent, RetryPolicy } from "./with_retries.ts";

/** Options of `CcxtMarketData.create`. */
export interface CcxtMarketDataOptions {
  /** The run's clock: polls sleep on it, receipts are stamped with it. Required. */
  clock: Clock;
  /** The universe: `BTC/USDT`, `btc_usdt` or full symbols of this exchange. Required, not empty. */
  symbols: readonly string[];
  /** The ccxt timeframe (`5m`). Required. */
  timeframe: string;
  /** Bars of history the first poll of each symbol asks for, the current bar included (the DAG's lookback). Default: 1. */
  warmupBars?: number | undefined;
  /** The first poll for a bar happens this long after its end, ms. Default: 2_000. */
  pollDelayMs?: number | undefined;
  /** Period of the next polls while a bar is missing, ms (`WaitForDataOptions.pollMs` overrides). Default: 2_000. */
  pollMs?: number | undefined;
  /** Bars kept in memory per symbol (older ones stay in the persisted file). Default: max(1000, 2 × warmupBars). */
  retainBars?: number | undefined;
  /** Persist received bars under `<runDir>/market_data/`. Default: none (not persisted). */
  runDir?: string | undefined;
  /** Retry policy of each request. Default: `{ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 5_000 }`. */
  retry?: RetryPolicy | undefined;
  /** Candles per request. Default: the exchange's limit (1000 for binance). */
  pageLimit?: number | undefined;
  /** Aborts sleeps and polls with `InterruptedError`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called before each retry, for logs. Default: none. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** Why a wait for a bar timed out. */
export type MarketDataTimeoutReason = "late" | "down";

/** A wait for a bar ran out: the bar is `late`, or the exchange is `down`. */
export class MarketDataTimeoutError extends TimeoutError {
  /** `late` (the exchange answers without the bar) or `down` (the requests fail). */
  readonly reason: MarketDataTimeoutReason;
  /** Creates the error. */
  constructor(
    message: string,
    options: DagtradeErrorOptions & { reason: MarketDataTimeoutReason },
  ) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** What one poll round did. */
export interface PollResult {
  /** New bars received, all symbols. */
  bars: number;
  /** Symbols whose requests failed (after retries) in this round. */
  failed: string[];
}

/** Per-symbol polling state. */
interface _Symbol {
  ccxt: string;
  full: string;
  assetId: number;
  /** End of the latest bar received. */
  lastEnd: number | undefined;
  /** When the exchange last answered a poll of this symbol. */
  answeredAt: number | undefined;
  /** The error of the last poll, when it failed. */
  error: BrokerError | undefined;
}

const _DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 5_000 };
const _FILE = "bars.jsonl";

/** Bars polled live through ccxt (see the module doc). */
export class CcxtMarketData implements MarketData {
  /** The clock whose `now()` gates every answer. */
  readonly clock: Clock;
  /** The bar period in ms. */
  readonly barMs: number;
  /** The exchange id (`binance`). */
  readonly exchangeId: string;
  /** The persisted file (`<runDir>/market_data/bars.jsonl`), or `undefined`. */
  readonly path: string | undefined;
  readonly #fetcher: CcxtOhlcvFetcher;
  readonly #symbols: _Symbol[];
  readonly #ids: readonly number[];
  readonly #fullSymbols: ReadonlyMap<number, string>;
  readonly #warmupBars: number;
  readonly #pollDelayMs: number;
  readonly #pollMs: number;
  readonly #retainBars: number;
  readonly #signal: AbortSignal | undefined;
  #frame: pl.DataFrame;
  #view: FrameMarketData | undefined;
  #present = new Set<number>();

  /** Use `CcxtMarketData.create` (it loads the markets and checks the symbols). */
  constructor(
    fetcher: CcxtOhlcvFetcher,
    symbols: readonly string[],
    options: CcxtMarketDataOptions,
  ) {
    const { warmupBars = 1, pollDelayMs = 2_000, pollMs = 2_000 } = options;
    if (!(Number.isInteger(warmupBars) && warmupBars >= 1)) {
      throw new UsageError(`CcxtMarketData: warmupBars must be an integer >= 1, got ${warmupBars}`);
    }
    for (const [name, v] of [["pollDelayMs", pollDelayMs], ["pollMs", pollMs]] as const) {
      if (!(Number.isFinite(v) && v >= 0) || (name === "pollMs" && v === 0)) {
        throw new UsageError(`CcxtMarketData: ${name} must be a positive number of ms, got ${v}`);
      }
    }
    const retainBars = options.retainBars ?? Math.max(1000, 2 * warmupBars);
    if (!(Number.isInteger(retainBars) && retainBars >= warmupBars)) {
      throw new UsageError(
        `CcxtMarketData: retainBars must be an integer >= warmupBars (${warmupBars}), got ${retainBars}`,
      );
    }
    this.clock = options.clock;
    this.barMs = fetcher.barMs;
    this.exchangeId = fetcher.exchange.id;
    this.#fetcher = fetcher;
    this.#warmupBars = warmupBars;
    this.#pollDelayMs = pollDelayMs;
    this.#pollMs = pollMs;
    this.#retainBars = retainBars;
    this.#signal = options.signal;
    this.#symbols = symbols.map((ccxt) => {
      const full = fetcher.fullSymbolOf(ccxt);
      return {
        ccxt,
        full,
        assetId: assetIdOf(full),
        lastEnd: undefined,
        answeredAt: undefined,
        error: undefined,
      };
    });
    this.#ids = Object.freeze(
      [...new Set(this.#symbols.map((s) => s.assetId))].sort((a, b) => a - b),
    );
    this.#fullSymbols = new Map(this.#symbols.map((s) => [s.assetId, s.full]));
    this.#frame = _emptyBars();
    this.path = options.runDir === undefined
      ? undefined
      : join(options.runDir, "market_data", _FILE);
    if (this.path !== undefined) {
      Deno.mkdirSync(join(options.runDir as string, "market_data"), { recursive: true });
    }
  }

  /**
   * Loads the exchange's markets (retried) and checks the timeframe and the symbols (see
   * `CcxtOhlcvFetcher.prepare`), then creates the market data. Nothing is fetched yet: the first
   * `waitForLatestData` or `poll` does.
   */
  static async create(
    exchange: OhlcvExchange,
    options: CcxtMarketDataOptions,
  ): Promise<CcxtMarketData> {
    const fetcher = new CcxtOhlcvFetcher(exchange, {
      clock: options.clock,
      timeframe: options.timeframe,
      pageLimit: options.pageLimit,
      retry: options.retry ?? _DEFAULT_RETRY,
      signal: options.signal,
      onRetry: options.onRetry,
    });
    const symbols = await fetcher.prepare(options.symbols);
    return new CcxtMarketData(fetcher, symbols, options);
  }

  /** HTTP-level requests made so far (retries included). */
  get requests(): number {
    return this.#fetcher.requests;
  }

  /** Asset ids of the universe, ascending (whether or not bars arrived yet). */
  assetIds(): readonly number[] {
    return this.#ids;
  }

  /** `full_symbol` of each asset id of the universe. */
  fullSymbols(): ReadonlyMap<number, string> {
    return this.#fullSymbols;
  }

  /** Bars with `timestamp` in `(start, end]` known at `now()` (see `MarketData.getData`). */
  getData(start: number, end: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    return this.#query(options, (view, o) => view.getData(start, end, o));
  }

  /** Bars of the last `bars` bar periods known at `now()` (see `MarketData.getDataForLastBars`). */
  getDataForLastBars(bars: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    return this.#query(options, (view, o) => view.getDataForLastBars(bars, o));
  }

  /** The end of the latest bar known at `now()` (any asset), or `undefined`. */
  lastKnownBarEnd(): number | undefined {
    return this.#current().lastKnownBarEnd();
  }

  /** Close of each asset's latest known bar with `timestamp <= end` (see `MarketData.lastPrice`). */
  lastPrice(end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#query(options, (view, o) => view.lastPrice(end, o));
  }

  /** Mean of `(o+h+l+c)/4` over each asset's known bars in `(start, end]`. */
  twapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#query(options, (view, o) => view.twapPrice(start, end, o));
  }

  /** Volume-weighted mean of `(o+h+l+c)/4` over `(start, end]` (TWAP when the volume is 0). */
  vwapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#query(options, (view, o) => view.vwapPrice(start, end, o));
  }

  /**
   * Waits until the bar ending at `barEnd` has been received for every symbol (a symbol whose
   * bars already go past `barEnd` without it has a gap there and is not waited for), polling as
   * described in the module doc. Throws `MarketDataTimeoutError` (a `TimeoutError`) after
   * `timeoutMs` (default 3 bar periods) of clock time, `InterruptedError` when `signal` aborts,
   * and at once the errors retrying cannot fix (`DataError` for an unknown symbol, `ConfigError`
   * for failed authentication).
   */
  async waitForLatestData(barEnd: number, options: WaitForDataOptions = {}): Promise<void> {
    const { timeoutMs = 3 * this.barMs, pollMs = this.#pollMs } = options;
    const signal = options.signal ?? this.#signal;
    if (!Number.isFinite(barEnd)) {
      throw new UsageError(`waitForLatestData: barEnd must be epoch ms, got ${barEnd}`);
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new UsageError(`waitForLatestData: timeoutMs must be >= 0 ms, got ${timeoutMs}`);
    }
    if (!Number.isFinite(pollMs) || pollMs <= 0) {
      throw new UsageError(`waitForLatestData: pollMs must be > 0 ms, got ${pollMs}`);
    }
    const start = this.clock.now();
    const deadline = start + timeoutMs;
    const missing = () =>
      this.#symbols.filter((s) => s.lastEnd === undefined || s.lastEnd < barEnd);
    if (missing().length === 0) return;
    const firstPoll = barEnd + this.#pollDelayMs;
    if (this.clock.now() < firstPoll) {
      await this.clock.sleepUntil(Math.min(firstPoll, deadline), signal);
    }
    for (;;) {
      await this.#pollSymbols(missing(), signal);
      const left = missing();
      if (left.length === 0) return;
      const now = this.clock.now();
      if (now >= deadline) throw this.#timeout(barEnd, left, now - start);
      await this.clock.sleepUntil(Math.min(now + pollMs, deadline), signal);
    }
  }

  /**
   * One poll round now: fetches the closed bars every symbol lacks (the warm-up history on a
   * symbol's first poll). Failures after retries are recorded (see `PollResult.failed`), not
   * thrown, except errors retrying cannot fix.
   */
  async poll(): Promise<PollResult> {
    return await this.#pollSymbols(this.#symbols, this.#signal);
  }

  /**
   * Consolidates the persisted bars into `<runDir>/market_data/bars.parquet` (atomic write);
   * nothing to do without a run directory or bars.
   */
  async close(): Promise<void> {
    if (this.path === undefined) return;
    let bars: pl.DataFrame;
    try {
      bars = await readReceivedBars(this.path, { barMs: this.barMs });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    const out = join(this.path, "..", "bars.parquet");
    await atomicWriteWith(out, (tmp) => {
      bars.writeParquet(tmp);
    });
  }

  // ---- polling ----

  async #pollSymbols(
    symbols: readonly _Symbol[],
    signal: AbortSignal | undefined,
  ): Promise<PollResult> {
    const received: pl.DataFrame[] = [];
    const failed: string[] = [];
    for (const s of symbols) {
      if (signal?.aborted) {
        throw new InterruptedError(`Interrupted while polling ${this.exchangeId} bars`, {
          cause: signal.reason,
        });
      }
      const bars = await this.#pollSymbol(s);
      if (bars === undefined) failed.push(s.full);
      else if (bars.height > 0) received.push(bars);
    }
    let n = 0;
    if (received.length > 0) {
      const fresh = received.length === 1 ? received[0] as pl.DataFrame : pl.concat(received);
      n = fresh.height;
      this.#persist(fresh);
      this.#append(fresh);
    }
    return { bars: n, failed };
  }

  /** The new bars of one symbol, or `undefined` when its requests failed. */
  async #pollSymbol(s: _Symbol): Promise<pl.DataFrame | undefined> {
    const upTo = Math.floor(this.clock.now() / this.barMs) * this.barMs;
    const from = s.lastEnd ?? upTo - this.#warmupBars * this.barMs;
    if (from >= upTo) {
      s.error = undefined;
      return _emptyBars();
    }
    const batches: ReceivedCandles[] = [];
    try {
      for await (const page of this.#fetcher.pages(s.ccxt, { start: from, end: upTo })) {
        batches.push({ candles: page.candles, receivedAt: page.receivedAt });
        s.answeredAt = page.receivedAt;
      }
    } catch (error) {
      if (error instanceof BrokerError) {
        s.error = error;
        return undefined;
      }
      throw error;
    }
    s.error = undefined;
    const { bars } = ohlcvToBars(batches, { fullSymbol: s.full, barMs: this.barMs });
    const last = s.lastEnd;
    const fresh = last === undefined
      ? bars
      : bars.filter(pl.col("timestamp").cast(pl.Float64).gt(pl.lit(last)));
    if (fresh.height > 0) {
      const ends = fresh.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
      let max = last ?? Number.NEGATIVE_INFINITY;
      for (const t of ends) if (t > max) max = t;
      s.lastEnd = max;
    }
    return fresh;
  }

  #timeout(barEnd: number, left: readonly _Symbol[], waited: number): MarketDataTimeoutError {
    const down = left.filter((s) => s.error !== undefined);
    const when = `after waiting ${_duration(waited)} for bar ${formatTime(barEnd)}`;
    if (down.length > 0) {
      const first = down[0] as _Symbol;
      const since = first.answeredAt === undefined
        ? "it has not answered yet"
        : `its last answer was at ${formatTime(first.answeredAt)}`;
      return new MarketDataTimeoutError(
        `Exchange ${this.exchangeId} is down: ${(first.error as BrokerError).message} ` +
          `(${down.map((s) => s.full).join(", ")}; ${since}; ${when}); check the exchange's ` +
          `status and the network`,
        { reason: "down", cause: first.error },
      );
    }
    const now = this.clock.now();
    if (now < barEnd + this.#pollDelayMs) {
      return new MarketDataTimeoutError(
        `Bar ${formatTime(barEnd)} is late: the wait timed out at ${formatTime(now)}, before ` +
          `the bar's end and the poll delay (${when}); give waitForLatestData a longer timeout`,
        { reason: "late" },
      );
    }
    const parts = left.map((s) =>
      `Bar ${formatTime(barEnd)} of ${s.full} is late: the exchange answered at ${
        s.answeredAt === undefined ? "no time yet" : formatTime(s.answeredAt)
      } but its last closed bar is ${s.lastEnd === undefined ? "none" : formatTime(s.lastEnd)}`
    );
    return new MarketDataTimeoutError(
      `${parts.join("; ")} (${when}); the exchange is slow to close bars: raise the timeout or ` +
        `the poll delay`,
      { reason: "late" },
    );
  }

  // ---- the frame ----

  #append(fresh: pl.DataFrame): void {
    let frame = this.#frame.height === 0 ? fresh : pl.concat([this.#frame, fresh]);
    frame = frame.sort(["timestamp", "asset_id"]);
    const last = Math.max(...this.#symbols.map((s) => s.lastEnd ?? Number.NEGATIVE_INFINITY));
    const keepFrom = last - this.#retainBars * this.barMs;
    if (frame.height > (this.#retainBars + 1) * this.#symbols.length) {
      frame = frame.filter(pl.col("timestamp").cast(pl.Float64).gt(pl.lit(keepFrom)));
    }
    this.#frame = frame.rechunk();
    this.#view = undefined;
    const ids = new Set<number>();
    for (const s of this.#symbols) if (s.lastEnd !== undefined) ids.add(s.assetId);
    this.#present = ids;
  }

  #current(): FrameMarketData {
    this.#view ??= new FrameMarketData(this.#frame, this.clock, { barMs: this.barMs });
    return this.#view;
  }

  /** Runs a query on the view with the asked assets restricted to those that have bars. */
  #query<T>(
    options: MarketDataQueryOptions,
    fn: (view: FrameMarketData, options: MarketDataQueryOptions) => T,
  ): T {
    const asked = options.assetIds;
    if (asked === undefined) return fn(this.#current(), {});
    for (const id of asked) {
      if (!this.#fullSymbols.has(id)) {
        throw new ConfigError(
          `Asset id ${id} is not in this market data (it serves ${this.#ids.join(", ")}); ` +
            `check the universe`,
        );
      }
    }
    const view = this.#current();
    const served = new Set(view.assetIds());
    const present = asked.filter((id) => served.has(id));
    if (present.length > 0 || asked.length === 0) return fn(view, { assetIds: present });
    // None of the asked assets has bars yet: run the query (its checks) and keep nothing.
    const all = fn(view, {});
    if (all instanceof Map) return new Map() as T;
    return (all as pl.DataFrame).slice(0, 0) as T;
  }

  #persist(fresh: pl.DataFrame): void {
    if (this.path === undefined) return;
    const f = (name: string) =>
      fresh.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
    const cols = {
      timestamp: f("timestamp"),
      start_timestamp: f("start_timestamp"),
      asset_id: f("asset_id"),
      open: f("open"),
      high: f("high"),
      low: f("low"),
      close: f("close"),
      volume: f("volume"),
      knowledge_timestamp: f("knowledge_timestamp"),
    };
    const symbols = fresh.getColumn("full_symbol").toArray() as string[];
    let text = "";
    for (let i = 0; i < fresh.height; i++) {
      text += JSON.stringify({
        timestamp: cols.timestamp[i],
        start_timestamp: cols.start_timestamp[i],
        asset_id: cols.asset_id[i],
        full_symbol: symbols[i],
        open: cols.open[i],
        high: cols.high[i],
        low: cols.low[i],
        close: cols.close[i],
        volume: cols.volume[i],
        knowledge_timestamp: cols.knowledge_timestamp[i],
      }) + "\n";
    }
    const file = Deno.openSync(this.path, { append: true, create: true });
    try {
      const bytes = new TextEncoder().encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    } finally {
      file.close();
    }
  }
}

/** Options of `readReceivedBars`. */
export interface ReadReceivedBarsOptions {
  /** The bar period for validation. Default: inferred from the rows. */
  barMs?: number | undefined;
}

/**
 * Reads a `bars.jsonl` written by `CcxtMarketData` back into a bars frame (bar contract, sorted
 * by `(timestamp, asset_id)`, validated). A truncated last line (a crash mid-write) is skipped;
 * any other unreadable line is a `DataError` naming the file and the line.
 */
export async function readReceivedBars(
  path: string,
  options: ReadReceivedBarsOptions = {},
): Promise<pl.DataFrame> {
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n");
  // The last element is "" after a final newline, or a truncated line (crash mid-write).
  const complete = lines.slice(0, -1);
  const n = complete.length;
  const num = () => new Float64Array(n);
  const c = {
    timestamp: num(),
    start_timestamp: num(),
    asset_id: num(),
    open: num(),
    high: num(),
    low: num(),
    close: num(),
    volume: num(),
    knowledge_timestamp: num(),
  };
  const symbols = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(complete[i] as string) as Record<string, unknown>;
    } catch (error) {
      throw new DataError(`Cannot read ${path}: line ${i + 1} is not JSON`, { cause: error });
    }
    for (const key of Object.keys(c) as (keyof typeof c)[]) {
      const v = row[key];
      if (typeof v !== "number") {
        throw new DataError(`Cannot read ${path}: line ${i + 1} has no number '${key}'`);
      }
      c[key][i] = v;
    }
    if (typeof row.full_symbol !== "string") {
      throw new DataError(`Cannot read ${path}: line ${i + 1} has no 'full_symbol'`);
    }
    symbols[i] = row.full_symbol;
  }
  const time = (name: string, a: Float64Array) =>
    pl.Series(name, a).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const bars = pl.DataFrame([
    time("timestamp", c.timestamp),
    time("start_timestamp", c.start_timestamp),
    pl.Series("asset_id", c.asset_id).cast(pl.Int64),
    pl.Series("full_symbol", symbols, pl.String),
    pl.Series("open", c.open),
    pl.Series("high", c.high),
    pl.Series("low", c.low),
    pl.Series("close", c.close),
    pl.Series("volume", c.volume),
    time("knowledge_timestamp", c.knowledge_timestamp),
  ]).select(...BAR_COLUMNS).sort(["timestamp", "asset_id"]);
  if (bars.height > 0) {
    validateBars(bars, { file: path, barMs: options.barMs, context: `Cannot read ${path}` });
  }
  return bars;
}

/** An empty bars frame with the contract's columns and types. */
function _emptyBars(): pl.DataFrame {
  return ohlcvToBars([], { fullSymbol: "x::A_B", barMs: 60_000 }).bars;
}

function _duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
