/**
 * Paginated, retried OHLCV downloads through a ccxt exchange (DESIGN §3, issue 6): candles of
 * one symbol over a range of bar ends, page after page of `fetchOHLCV(symbol, timeframe,
 * since, limit)`, each page advancing `since` to the last open time + timeframe. Every call
 * goes through `withRetries` (network errors, rate limits with `Retry-After`, 5xx are retried
 * with capped exponential backoff on the clock; a bad symbol, a bad request or an
 * unsupported timeframe fail at once), and each page is stamped with its receipt time on the
 * clock. The exchange is anything shaped like a ccxt `Exchange` (`OhlcvExchange`), so tests
 * can pass a fake one; ccxt itself is not imported here.
 */
import { DataError, InterruptedError, UsageError } from "../errors/mod.ts";
import { formatTime, parseTimeframe } from "./bar_schema.ts";
import { ccxtSymbolOf, fullSymbolOf } from "./asset_id.ts";
import type { Clock } from "./clock.ts";
import type { TimeRange } from "./snapshot.ts";
import { translateCcxtError } from "./translate_ccxt_error.ts";
import { type RetryEvent, type RetryPolicy, withRetries } from "./with_retries.ts";

const _WEEK_MS = 7 * 86_400_000;
const _MONDAY_MS = 4 * 86_400_000;

/** The part of a ccxt `Exchange` the fetcher uses. */
export interface OhlcvExchange {
  /** The ccxt exchange id (`binance`). */
  readonly id: string;
  /** Timeframes the exchange offers (`{"5m": "5m", ...}`), known before markets load. */
  readonly timeframes?: Readonly<Record<string, unknown>> | undefined;
  /** Markets by ccxt symbol, set by `loadMarkets`. */
  readonly markets?: Readonly<Record<string, unknown>> | undefined;
  /** ccxt's `features` (its `spot.fetchOHLCV.limit` is the exchange's page limit). */
  readonly features?: unknown;
  /** Headers of the last HTTP response (ccxt keeps them; read for `Retry-After`). */
  readonly last_response_headers?: Readonly<Record<string, unknown>> | undefined;
  /** Loads the markets (again when `reload`). */
  loadMarkets(reload?: boolean): Promise<unknown>;
  /** ccxt's `fetchOHLCV`: candles `[openTimeMs, open, high, low, close, volume]`, oldest first. */
  fetchOHLCV(
    symbol: string,
    timeframe?: string,
    since?: number,
    limit?: number,
  ): Promise<readonly (readonly unknown[])[]>;
}

/** One page of candles as received. */
export interface OhlcvPage {
  /** The ccxt symbol (`BTC/USDT`). */
  symbol: string;
  /**
   * Candles `[openTimeMs, open, high, low, close, volume]` whose bar END lies in the window
   * asked for, in the order received (the exchange's extra candles are dropped).
   */
  candles: number[][];
  /** When the page was received: the clock's time after the call returned, epoch ms. */
  receivedAt: number;
  /** The `since` of the request (an open time). */
  since: number;
  /** Candles the exchange returned in all (including those outside the window). */
  returned: number;
}

/** Options of `CcxtOhlcvFetcher`. */
export interface CcxtOhlcvFetcherOptions {
  /** Clock for receipt times and the sleeps between retries. Required. */
  clock: Clock;
  /** ccxt timeframe (`5m`); must be in `exchange.timeframes`. Required. */
  timeframe: string;
  /**
   * Candles asked per request. Default: the exchange's limit (`features.spot.fetchOHLCV.limit`,
   * 1000 for binance), else 500.
   */
  pageLimit?: number | undefined;
  /** Retry policy of every call. Default: `{}` (see `RetryPolicy`). */
  retry?: RetryPolicy | undefined;
  /** Stops before the next request (`InterruptedError`), and aborts retry sleeps. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called before each retry, for logs. Default: none. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/**
 * Fetches OHLCV candles through a ccxt exchange, paginated and retried. Call `prepare` once
 * (markets, timeframe and symbol checks), then iterate `pages(symbol, window)`.
 */
export class CcxtOhlcvFetcher {
  /** The exchange fetched from. */
  readonly exchange: OhlcvExchange;
  /** The timeframe fetched. */
  readonly timeframe: string;
  /** The bar period, ms. */
  readonly barMs: number;
  /** Candles asked per request. */
  readonly pageLimit: number;
  readonly #options: CcxtOhlcvFetcherOptions;
  #requests = 0;
  #retries = 0;
  #prepared = false;

  /**
   * Wraps `exchange`. Throws `UsageError` when the timeframe is not one dagtrade can stamp
   * bars with, or the page limit is not a positive integer.
   */
  constructor(exchange: OhlcvExchange, options: CcxtOhlcvFetcherOptions) {
    this.exchange = exchange;
    this.timeframe = options.timeframe;
    this.barMs = parseTimeframe(options.timeframe);
    const limit = options.pageLimit ?? _exchangePageLimit(exchange) ?? 500;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError(`Invalid page limit ${limit}: expected a positive integer`);
    }
    this.pageLimit = limit;
    this.#options = options;
  }

  /** HTTP-level calls made so far (attempts, retries included). */
  get requests(): number {
    return this.#requests;
  }

  /** Retries made so far. */
  get retries(): number {
    return this.#retries;
  }

  /**
   * Loads the markets (retried) and checks the timeframe and the symbols. Symbols may be
   * `BTC/USDT`, `btc_usdt` or full symbols of this exchange (`binance::BTC_USDT`); returns
   * their ccxt symbols in request order, without repeats. An unsupported timeframe is a
   * `UsageError`, an unknown symbol a `DataError` naming similar markets.
   */
  async prepare(symbols: readonly string[]): Promise<string[]> {
    const ex = this.exchange;
    const offered = ex.timeframes === undefined ? [] : Object.keys(ex.timeframes);
    if (!offered.includes(this.timeframe)) {
      throw new UsageError(
        `Timeframe '${this.timeframe}' is not offered by ${ex.id}; offered: ${
          offered.join(", ") || "(none)"
        }`,
      );
    }
    const wanted = [...new Set(symbols.map((s) => this.#ccxtSymbol(s)))];
    if (wanted.length === 0) {
      throw new UsageError(`No symbols to fetch from ${ex.id}; give --symbols`);
    }
    // ccxt caches a failed loadMarkets() promise: a retry must ask for a reload.
    await this.#call(`load ${ex.id} markets`, (attempt) => ex.loadMarkets(attempt > 1));
    this.#prepared = true;
    const markets = Object.keys(ex.markets ?? {});
    const known = new Set(markets);
    for (const s of wanted) {
      if (known.has(s)) continue;
      const [base, quote] = s.split("/") as [string, string | undefined];
      const sameBase = markets.filter((m) => m.startsWith(`${base}/`)).sort().slice(0, 8);
      const sameQuote = markets.filter((m) => quote !== undefined && m.endsWith(`/${quote}`))
        .sort().slice(0, 8);
      const hint = sameBase.length > 0
        ? `; similar: ${sameBase.join(", ")}`
        : sameQuote.length > 0
        ? `; e.g. ${sameQuote.join(", ")}`
        : "";
      throw new DataError(
        `Unknown symbol '${s}' on ${ex.id} (${markets.length} markets)${hint}; check --symbols`,
      );
    }
    return wanted;
  }

  /** The full symbol (`binance::BTC_USDT`) of a ccxt symbol of this exchange. */
  fullSymbolOf(symbol: string): string {
    return fullSymbolOf(this.exchange.id, symbol);
  }

  /** Requests needed to fetch the bars ending in `window` at `pageLimit` candles a page (at least 1). */
  expectedPages(window: TimeRange): number {
    const bars = Math.max(0, Math.ceil((window.end - window.start) / this.barMs));
    return Math.max(1, Math.ceil(bars / this.pageLimit));
  }

  /**
   * Yields the pages of candles of `symbol` whose bar END lies in `window` = `(start, end]`:
   * the first request asks from the open time of the first bar on the grid ending after `start`
   * (bar periods from the epoch; weeks from a Monday, as Binance), each next one
   * from the last open time received + timeframe, `limit` = min(page limit, bars left). Stops
   * at the window's end, at an empty page, at a page that does not advance, or at a candle not
   * closed at receipt (the present). Each request is retried per the policy.
   */
  async *pages(symbol: string, window: TimeRange): AsyncGenerator<OhlcvPage> {
    if (!this.#prepared) throw new Error("CcxtOhlcvFetcher.pages() called before prepare()");
    const barMs = this.barMs;
    const lastOpen = window.end - barMs;
    let since = _firstOpen(window.start, barMs);
    while (since <= lastOpen) {
      const limit = Math.min(this.pageLimit, Math.floor((lastOpen - since) / barMs) + 1);
      const what = `fetch ${this.exchange.id} ${symbol} ${this.timeframe} candles from ${
        formatTime(since)
      }`;
      const page = await this.#call(what, async () => {
        const raw = await this.exchange.fetchOHLCV(symbol, this.timeframe, since, limit);
        return { raw, receivedAt: this.#options.clock.now() };
      });
      const candles = _checkCandles(page.raw, `${this.exchange.id} ${symbol}`);
      let maxOpen = -Infinity;
      const kept: number[][] = [];
      for (const c of candles) {
        const open = c[0] as number;
        if (open > maxOpen) maxOpen = open;
        if (open >= since && open <= lastOpen) kept.push(c);
      }
      yield { symbol, candles: kept, receivedAt: page.receivedAt, since, returned: candles.length };
      if (candles.length === 0 || maxOpen < since) break;
      if (maxOpen + barMs > page.receivedAt) break;
      since = maxOpen + barMs;
    }
  }

  #ccxtSymbol(text: string): string {
    const t = text.trim();
    const id = this.exchange.id;
    if (t.includes("::")) {
      const ex = t.slice(0, t.indexOf("::"));
      if (ex !== id) {
        throw new UsageError(`Symbol '${text}' is not of exchange ${id}; use e.g. BTC/USDT`);
      }
      return ccxtSymbolOf(t).toUpperCase();
    }
    return ccxtSymbolOf(fullSymbolOf(id, t)).toUpperCase();
  }

  async #call<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    const { clock, signal } = this.#options;
    return await withRetries(async (attempt) => {
      if (signal?.aborted) throw new InterruptedError(`Interrupted before: ${what}`);
      this.#requests++;
      try {
        return await fn(attempt);
      } catch (error) {
        throw translateCcxtError(error, {
          what: `Cannot ${what}`,
          responseHeaders: this.exchange.last_response_headers,
          now: clock.now(),
        });
      }
    }, {
      clock,
      what,
      policy: this.#options.retry,
      signal,
      onRetry: (event) => {
        this.#retries++;
        this.#options.onRetry?.(event);
      },
    });
  }
}

/**
 * The open time of the first bar ending after `start`, on the exchanges' grid: multiples of
 * the bar period from the Unix epoch (weekly bars: from Monday 1970-01-05, as Binance).
 */
function _firstOpen(start: number, barMs: number): number {
  const offset = barMs % _WEEK_MS === 0 ? _MONDAY_MS : 0;
  return offset + Math.floor((start - offset) / barMs) * barMs;
}

function _exchangePageLimit(exchange: OhlcvExchange): number | undefined {
  const f = exchange.features as
    | { spot?: { fetchOHLCV?: { limit?: unknown } } }
    | undefined;
  const limit = f?.spot?.fetchOHLCV?.limit;
  return typeof limit === "number" && Number.isInteger(limit) && limit > 0 ? limit : undefined;
}

/** Checks the shape of ccxt's answer: an array of `[time, o, h, l, c, v]` finite numbers. */
function _checkCandles(raw: unknown, where: string): number[][] {
  if (!Array.isArray(raw)) {
    throw new DataError(`Bad OHLCV answer from ${where}: expected an array of candles`);
  }
  return raw.map((c: unknown, i) => {
    const ok = Array.isArray(c) && c.length >= 6 &&
      c.slice(0, 6).every((v) => typeof v === "number" && Number.isFinite(v)) &&
      Number.isInteger(c[0]);
    if (!ok) {
      throw new DataError(
        `Bad OHLCV answer from ${where}: candle ${i} is not [open time, open, high, low, close, ` +
          `volume] numbers: ${JSON.stringify(c)?.slice(0, 120)}`,
      );
    }
    return (c as number[]).slice(0, 6);
  });
}
