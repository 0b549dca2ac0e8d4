/**
 * Private test helpers of the ccxt dump files: a fake ccxt exchange serving generated candles
 * with Binance's `fetchOHLCV` semantics (candles with open time >= since, at most
 * min(limit, cap)), scripted failures, and a clock that records its sleeps. Used only by the
 * `_test.ts` files beside it.
 */
import type { OhlcvExchange } from "./ccxt_ohlcv_fetcher.ts";
import type { Clock } from "./clock.ts";
import { InterruptedError } from "../errors/mod.ts";

/** One call the fake exchange received. */
export interface _FakeCall {
  /** `loadMarkets` or `fetchOHLCV`. */
  method: string;
  /** The symbol (fetchOHLCV). */
  symbol?: string;
  /** `since` (fetchOHLCV). */
  since?: number | undefined;
  /** `limit` (fetchOHLCV). */
  limit?: number | undefined;
}

/** Options of `_FakeOhlcvExchange`. */
export interface _FakeOhlcvExchangeOptions {
  /** Symbols and the open time of their first candle. Default: BTC/USDT and ETH/USDT from 2025-01-01. */
  symbols?: Record<string, number>;
  /** Open time after which no candle exists (exclusive). Default: 2025-03-01. */
  until?: number;
  /** Bar period, ms. Default: 5 minutes. */
  barMs?: number;
  /** Most candles one call returns. Default: 1000. */
  cap?: number;
  /** Timeframes offered. Default: `{"1m","5m","1h"}`. */
  timeframes?: string[];
  /** Open times missing from every symbol (exchange gaps). Default: none. */
  missing?: readonly number[];
}

/**
 * A fake ccxt exchange. `failures` is a queue of errors to throw, one per call (`undefined`
 * entries let a call through); `headers` become `last_response_headers` with each failure.
 */
export class _FakeOhlcvExchange implements OhlcvExchange {
  /** Exchange id. */
  readonly id = "binance";
  /** Offered timeframes. */
  readonly timeframes: Record<string, string>;
  /** Markets, after loadMarkets. */
  markets: Record<string, unknown> | undefined;
  /** Page limit as ccxt publishes it. */
  readonly features = { spot: { fetchOHLCV: { limit: 1000 } } };
  /** Headers of the last (failed) response. */
  last_response_headers: Record<string, string> | undefined;
  /** Every call received. */
  readonly calls: _FakeCall[] = [];
  /** Errors to throw, one per call, in order. */
  readonly failures: (Error | undefined)[] = [];
  /** Headers set with each failure, in order (parallel to `failures`). */
  readonly failureHeaders: (Record<string, string> | undefined)[] = [];
  /** Called on each fetchOHLCV before answering (e.g. to advance a clock). */
  onFetch: (() => void) | undefined;
  readonly #symbols: Record<string, number>;
  readonly #until: number;
  readonly #barMs: number;
  readonly #cap: number;
  readonly #missing: Set<number>;
  #failedLoad: Error | undefined;

  /** Creates the fake exchange. */
  constructor(options: _FakeOhlcvExchangeOptions = {}) {
    this.#symbols = options.symbols ??
      { "BTC/USDT": Date.UTC(2025, 0, 1), "ETH/USDT": Date.UTC(2025, 0, 1) };
    this.#until = options.until ?? Date.UTC(2025, 2, 1);
    this.#barMs = options.barMs ?? 300_000;
    this.#cap = options.cap ?? 1000;
    this.#missing = new Set(options.missing ?? []);
    this.timeframes = Object.fromEntries(
      (options.timeframes ?? ["1m", "5m", "1h"]).map((t) => [t, t]),
    );
  }

  /** Number of fetchOHLCV calls. */
  get fetches(): number {
    return this.calls.filter((c) => c.method === "fetchOHLCV").length;
  }

  /** Loads the markets (may fail per the script). */
  loadMarkets(reload = false): Promise<unknown> {
    this.calls.push({ method: "loadMarkets" });
    // Like ccxt: a failed load is cached and returned again unless reloading.
    if (this.#failedLoad !== undefined && !reload) return Promise.reject(this.#failedLoad);
    try {
      this.#maybeFail();
    } catch (error) {
      this.#failedLoad = error as Error;
      throw error;
    }
    this.#failedLoad = undefined;
    this.markets = Object.fromEntries(Object.keys(this.#symbols).map((s) => [s, { symbol: s }]));
    return Promise.resolve(this.markets);
  }

  /** Candles with open time >= since, at most min(limit, cap). */
  fetchOHLCV(
    symbol: string,
    timeframe?: string,
    since?: number,
    limit?: number,
  ): Promise<number[][]> {
    this.calls.push({ method: "fetchOHLCV", symbol, since, limit });
    this.onFetch?.();
    this.#maybeFail();
    const first = this.#symbols[symbol];
    if (first === undefined) throw new Error(`fake: unknown symbol ${symbol}`);
    if (timeframe !== undefined && this.timeframes[timeframe] === undefined) {
      throw new Error(`fake: bad timeframe ${timeframe}`);
    }
    const barMs = this.#barMs;
    let t = Math.max(first, Math.ceil((since ?? first) / barMs) * barMs);
    const n = Math.min(limit ?? 500, this.#cap);
    const out: number[][] = [];
    for (; out.length < n && t < this.#until; t += barMs) {
      if (!this.#missing.has(t)) out.push(_fakeCandle(symbol, t));
    }
    return Promise.resolve(out);
  }

  #maybeFail(): void {
    if (this.failures.length === 0) return;
    const error = this.failures.shift();
    const headers = this.failureHeaders.shift();
    if (error !== undefined) {
      this.last_response_headers = headers;
      throw error;
    }
  }
}

/** The candle the fake exchange serves for `symbol` at open time `t` (deterministic). */
export function _fakeCandle(symbol: string, t: number): number[] {
  const base = symbol.startsWith("BTC") ? 90_000 : 3_000;
  const x = base + ((t / 300_000) % 97);
  return [t, x, x + 2, x - 1, x + 1, 10 + ((t / 300_000) % 13)];
}

/** A clock that jumps when slept on and records every sleep's length. */
export class _SleepRecordingClock implements Clock {
  /** Current time. */
  t: number;
  /** Every sleep asked, ms. */
  readonly sleeps: number[] = [];

  /** Starts at `t`. */
  constructor(t: number) {
    this.t = t;
  }

  /** Current time. */
  now(): number {
    return this.t;
  }

  /** Records the sleep and jumps to `t`. */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new InterruptedError("sleep aborted"));
    this.sleeps.push(t - this.t);
    if (t > this.t) this.t = t;
    return Promise.resolve();
  }
}
