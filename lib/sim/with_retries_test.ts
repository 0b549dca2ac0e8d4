import assert from "node:assert/strict";
import {
  BrokerError,
  DataError,
  ExchangeUnavailableBrokerError,
  InterruptedError,
  NetworkBrokerError,
  RateLimitBrokerError,
} from "../errors/mod.ts";
import {
  backoffDelayMs,
  resolveRetryPolicy,
  type RetryEvent,
  withRetries,
} from "./with_retries.ts";
import { _SleepRecordingClock } from "./_fake_ohlcv_exchange.ts";

Deno.test("backoffDelayMs() doubles from the base delay up to the cap", () => {
  const policy = { baseDelayMs: 500, maxDelayMs: 3000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => backoffDelayMs(r, { policy })), [
    500,
    1000,
    2000,
    3000,
    3000,
  ]);
  assert.equal(backoffDelayMs(1, { policy, retryAfterMs: 7000 }), 7000);
  assert.equal(backoffDelayMs(3, { policy, retryAfterMs: 100 }), 2000);
});

Deno.test("resolveRetryPolicy() fills defaults and refuses bad values", () => {
  assert.deepEqual(resolveRetryPolicy(), { maxRetries: 8, baseDelayMs: 500, maxDelayMs: 30_000 });
  assert.throws(() => resolveRetryPolicy({ maxRetries: -1 }), RangeError);
  assert.throws(() => resolveRetryPolicy({ maxRetries: 1.5 }), RangeError);
  assert.throws(() => resolveRetryPolicy({ baseDelayMs: NaN }), RangeError);
});

Deno.test("withRetries() retries retryable errors with backoff on the clock, then succeeds", async () => {
  const clock = new _SleepRecordingClock(0);
  const errors = [
    new NetworkBrokerError("reset"),
    new ExchangeUnavailableBrokerError("503"),
    new RateLimitBrokerError("429", { retryAfterMs: 5000 }),
  ];
  const events: RetryEvent[] = [];
  let calls = 0;
  const out = await withRetries((attempt) => {
    calls++;
    assert.equal(attempt, calls);
    const e = errors.shift();
    return e ? Promise.reject(e) : Promise.resolve("ok");
  }, { clock, what: "fetch x", policy: { baseDelayMs: 100 }, onRetry: (e) => events.push(e) });
  assert.equal(out, "ok");
  assert.equal(calls, 4);
  assert.deepEqual(clock.sleeps, [100, 200, 5000]);
  assert.deepEqual(events.map((e) => [e.retry, e.delayMs, e.maxRetries]), [
    [1, 100, 8],
    [2, 200, 8],
    [3, 5000, 8],
  ]);
});

Deno.test("withRetries() throws non-retryable errors at once", async () => {
  const clock = new _SleepRecordingClock(0);
  let calls = 0;
  await assert.rejects(
    withRetries(() => {
      calls++;
      return Promise.reject(new DataError("unknown symbol"));
    }, { clock, what: "fetch x" }),
    DataError,
  );
  await assert.rejects(
    withRetries(() => {
      calls++;
      return Promise.reject(new BrokerError("insufficient balance"));
    }, { clock, what: "fetch x" }),
    /insufficient balance/,
  );
  assert.equal(calls, 2);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("withRetries() gives up after maxRetries with a BrokerError naming the last error", async () => {
  const clock = new _SleepRecordingClock(0);
  let calls = 0;
  const error = await withRetries(() => {
    calls++;
    return Promise.reject(new NetworkBrokerError(`connection refused #${calls}`));
  }, { clock, what: "fetch binance BTC/USDT", policy: { maxRetries: 2, baseDelayMs: 10 } })
    .then(() => undefined, (e: unknown) => e);
  assert.equal(calls, 3);
  assert.ok(error instanceof BrokerError);
  assert.equal(error.retryable, false);
  assert.equal(error.exitCode, 1);
  assert.match(
    error.message,
    /^Cannot fetch binance BTC\/USDT: gave up after 3 attempts \(--max-retries 2\); last error: connection refused #3$/,
  );
  assert.ok(error.cause instanceof NetworkBrokerError);
  assert.deepEqual(clock.sleeps, [10, 20]);
});

Deno.test("withRetries() stops when the signal aborts a retry sleep", async () => {
  const clock = new _SleepRecordingClock(0);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    withRetries(() => Promise.reject(new NetworkBrokerError("x")), {
      clock,
      what: "fetch x",
      signal: controller.signal,
    }),
    InterruptedError,
  );
});
