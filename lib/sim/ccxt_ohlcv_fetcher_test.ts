import assert from "node:assert/strict";
import ccxt from "ccxt";
import { BrokerError, DataError, InterruptedError, UsageError } from "../errors/mod.ts";
import { CcxtOhlcvFetcher, type OhlcvPage } from "./ccxt_ohlcv_fetcher.ts";
import { _fakeCandle, _FakeOhlcvExchange, _SleepRecordingClock } from "./_fake_ohlcv_exchange.ts";

const BAR = 300_000;
const JAN1 = Date.UTC(2025, 0, 1);
const NOW = Date.UTC(2025, 5, 1);

async function collect(it: AsyncGenerator<OhlcvPage>): Promise<OhlcvPage[]> {
  const out: OhlcvPage[] = [];
  for await (const p of it) out.push(p);
  return out;
}

Deno.test("CcxtOhlcvFetcher.pages() paginates by the page limit, advancing past the last open time", async () => {
  const ex = new _FakeOhlcvExchange();
  const clock = new _SleepRecordingClock(NOW);
  const f = new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m" });
  assert.equal(f.pageLimit, 1000);
  assert.deepEqual(await f.prepare(["BTC/USDT"]), ["BTC/USDT"]);
  const window = { start: JAN1, end: JAN1 + 2500 * BAR };
  assert.equal(f.expectedPages(window), 3);
  const pages = await collect(f.pages("BTC/USDT", window));
  assert.deepEqual(pages.map((p) => [p.since, p.candles.length]), [
    [JAN1, 1000],
    [JAN1 + 1000 * BAR, 1000],
    [JAN1 + 2000 * BAR, 500],
  ]);
  const fetches = ex.calls.filter((c) => c.method === "fetchOHLCV");
  assert.deepEqual(fetches.map((c) => c.limit), [1000, 1000, 500]);
  const opens = pages.flatMap((p) => p.candles.map((c) => c[0]));
  assert.equal(opens[0], JAN1);
  assert.equal(opens.at(-1), JAN1 + 2499 * BAR);
  assert.equal(new Set(opens).size, 2500);
  assert.deepEqual(pages[0]?.candles[0], _fakeCandle("BTC/USDT", JAN1));
  assert.equal(pages[0]?.receivedAt, NOW);
  assert.equal(f.requests, 4); // loadMarkets + 3 pages
});

Deno.test("CcxtOhlcvFetcher.pages() keeps going when the exchange caps pages below the limit", async () => {
  const ex = new _FakeOhlcvExchange({ cap: 300 });
  const f = new CcxtOhlcvFetcher(ex, { clock: new _SleepRecordingClock(NOW), timeframe: "5m" });
  await f.prepare(["ETH/USDT"]);
  const pages = await collect(f.pages("ETH/USDT", { start: JAN1, end: JAN1 + 1000 * BAR }));
  assert.deepEqual(pages.map((p) => p.candles.length), [300, 300, 300, 100]);
});

Deno.test("CcxtOhlcvFetcher.pages() stops at the present and at the end of the exchange's data", async () => {
  // The clock reads 10 bars after JAN1 plus half a bar: the 11th candle is still forming.
  const ex = new _FakeOhlcvExchange({ until: JAN1 + 11 * BAR });
  const clock = new _SleepRecordingClock(JAN1 + 10 * BAR + BAR / 2);
  const f = new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m", pageLimit: 4 });
  await f.prepare(["BTC/USDT"]);
  const pages = await collect(f.pages("BTC/USDT", { start: JAN1, end: JAN1 + 100 * BAR }));
  assert.deepEqual(pages.map((p) => p.candles.length), [4, 4, 3]);
  // The last page holds the forming candle (open JAN1+10 bars): no further request.
  assert.equal(ex.fetches, 3);
  const ex2 = new _FakeOhlcvExchange({ until: JAN1 + 8 * BAR });
  const f2 = new CcxtOhlcvFetcher(ex2, {
    clock: new _SleepRecordingClock(NOW),
    timeframe: "5m",
    pageLimit: 4,
  });
  await f2.prepare(["BTC/USDT"]);
  const pages2 = await collect(f2.pages("BTC/USDT", { start: JAN1, end: JAN1 + 100 * BAR }));
  assert.deepEqual(pages2.map((p) => p.candles.length), [4, 4, 0]);
});

Deno.test("CcxtOhlcvFetcher.pages() keeps only candles ending in the window and skips exchange gaps", async () => {
  const ex = new _FakeOhlcvExchange({ missing: [JAN1 + 2 * BAR, JAN1 + 3 * BAR] });
  const f = new CcxtOhlcvFetcher(ex, { clock: new _SleepRecordingClock(NOW), timeframe: "5m" });
  await f.prepare(["BTC/USDT"]);
  // Bar ENDs in (JAN1 + 1 bar, JAN1 + 6 bars]: opens JAN1+1 .. JAN1+5 bars.
  const pages = await collect(f.pages("BTC/USDT", { start: JAN1 + BAR, end: JAN1 + 6 * BAR }));
  assert.deepEqual(pages.flatMap((p) => p.candles.map((c) => (c[0] as number - JAN1) / BAR)), [
    1,
    4,
    5,
  ]);
  assert.equal(ex.fetches, 1);
});

Deno.test("CcxtOhlcvFetcher retries network errors and rate limits, honouring Retry-After", async () => {
  const ex = new _FakeOhlcvExchange();
  ex.failures.push(
    new ccxt.NetworkError("fetch failed"),
    undefined, // loadMarkets retry passes
    new ccxt.RateLimitExceeded("429 -1003"),
    new ccxt.ExchangeNotAvailable("503"),
  );
  ex.failureHeaders.push(undefined, undefined, { "Retry-After": "4" }, undefined);
  const clock = new _SleepRecordingClock(NOW);
  const retries: string[] = [];
  const f = new CcxtOhlcvFetcher(ex, {
    clock,
    timeframe: "5m",
    retry: { baseDelayMs: 100 },
    onRetry: (e) => retries.push(`${e.retry}:${e.delayMs}:${e.error.constructor.name}`),
  });
  await f.prepare(["BTC/USDT"]);
  const pages = await collect(f.pages("BTC/USDT", { start: JAN1, end: JAN1 + 10 * BAR }));
  assert.equal(pages.length, 1);
  assert.equal(pages[0]?.candles.length, 10);
  assert.deepEqual(retries, [
    "1:100:NetworkBrokerError",
    "1:4000:RateLimitBrokerError",
    "2:200:ExchangeUnavailableBrokerError",
  ]);
  assert.deepEqual(clock.sleeps, [100, 4000, 200]);
  assert.equal(f.retries, 3);
  assert.equal(f.requests, 5);
});

Deno.test("CcxtOhlcvFetcher gives up after --max-retries with the last error", async () => {
  const ex = new _FakeOhlcvExchange();
  const f = new CcxtOhlcvFetcher(ex, {
    clock: new _SleepRecordingClock(NOW),
    timeframe: "5m",
    retry: { maxRetries: 2, baseDelayMs: 1 },
  });
  await f.prepare(["BTC/USDT"]);
  ex.failures.push(...[1, 2, 3].map(() => new ccxt.RequestTimeout("timed out (10000 ms)")));
  const error = await collect(f.pages("BTC/USDT", { start: JAN1, end: JAN1 + BAR }))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof BrokerError);
  assert.equal(error.exitCode, 1);
  assert.match(
    error.message,
    /^Cannot fetch binance BTC\/USDT 5m candles from 2025-01-01T00:00Z: gave up after 3 attempts \(--max-retries 2\); last error: request timed out: timed out \(10000 ms\)$/,
  );
});

Deno.test("CcxtOhlcvFetcher.prepare() refuses unknown symbols and timeframes the exchange lacks", async () => {
  const clock = new _SleepRecordingClock(NOW);
  const ex = new _FakeOhlcvExchange();
  await assert.rejects(
    new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m" }).prepare(["BTC/USDT", "BTC/EUR"]),
    (e: unknown) =>
      e instanceof DataError &&
      /^Unknown symbol 'BTC\/EUR' on binance \(2 markets\); similar: BTC\/USDT; check --symbols$/
        .test(e.message),
  );
  await assert.rejects(
    new CcxtOhlcvFetcher(ex, { clock, timeframe: "15m" }).prepare(["BTC/USDT"]),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "Timeframe '15m' is not offered by binance; offered: 1m, 5m, 1h",
  );
  assert.throws(() => new CcxtOhlcvFetcher(ex, { clock, timeframe: "5x" }), UsageError);
  assert.throws(
    () => new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m", pageLimit: 0 }),
    UsageError,
  );
  assert.throws(
    () => new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m" }).fullSymbolOf("??"),
    UsageError,
  );
  // Symbols in any accepted spelling map to ccxt symbols, without repeats.
  const f = new CcxtOhlcvFetcher(ex, { clock, timeframe: "5m" });
  assert.deepEqual(await f.prepare(["btc_usdt", "binance::BTC_USDT", "ETH/USDT"]), [
    "BTC/USDT",
    "ETH/USDT",
  ]);
  assert.equal(f.fullSymbolOf("BTC/USDT"), "binance::BTC_USDT");
  await assert.rejects(f.prepare(["kraken::BTC_USDT"]), UsageError);
  // ccxt's BadSymbol from the exchange is not retried.
  const ex2 = new _FakeOhlcvExchange();
  const f2 = new CcxtOhlcvFetcher(ex2, { clock, timeframe: "5m" });
  await f2.prepare(["BTC/USDT"]);
  ex2.failures.push(new ccxt.BadSymbol("binance -1121 Invalid symbol."));
  await assert.rejects(collect(f2.pages("BTC/USDT", { start: JAN1, end: JAN1 + BAR })), DataError);
  assert.equal(ex2.fetches, 1);
});

Deno.test("CcxtOhlcvFetcher stops before the next request once the signal aborts", async () => {
  const ex = new _FakeOhlcvExchange();
  const controller = new AbortController();
  const f = new CcxtOhlcvFetcher(ex, {
    clock: new _SleepRecordingClock(NOW),
    timeframe: "5m",
    pageLimit: 10,
    signal: controller.signal,
  });
  await f.prepare(["BTC/USDT"]);
  let n = 0;
  await assert.rejects(async () => {
    for await (const _ of f.pages("BTC/USDT", { start: JAN1, end: JAN1 + 100 * BAR })) {
      if (++n === 2) controller.abort();
    }
  }, InterruptedError);
  assert.equal(ex.fetches, 2);
});
