import assert from "node:assert/strict";
import ccxt from "ccxt";
import {
  BrokerError,
  ConfigError,
  DataError,
  ExchangeUnavailableBrokerError,
  InterruptedError,
  NetworkBrokerError,
  RateLimitBrokerError,
  UsageError,
} from "../errors/mod.ts";
import { ccxtErrorClasses, parseRetryAfter, translateCcxtError } from "./translate_ccxt_error.ts";

const what = "Cannot fetch binance BTC/USDT 5m candles";

Deno.test("ccxtErrorClasses() lists ccxt class names, most specific first", () => {
  assert.deepEqual(ccxtErrorClasses(new ccxt.RateLimitExceeded("x")).slice(0, 2), [
    "RateLimitExceeded",
    "NetworkError",
  ]);
  assert.ok(ccxtErrorClasses(new ccxt.BadSymbol("x")).includes("BadRequest"));
  assert.deepEqual(ccxtErrorClasses(new TypeError("x")), []);
  assert.deepEqual(ccxtErrorClasses("text"), []);
});

Deno.test("translateCcxtError() maps retryable ccxt errors to retryable broker errors", () => {
  const rate = translateCcxtError(new ccxt.RateLimitExceeded("binance 429"), {
    what,
    responseHeaders: { "Retry-After": "2" },
  });
  assert.ok(rate instanceof RateLimitBrokerError);
  assert.equal(rate.retryable, true);
  assert.equal(rate.retryAfterMs, 2000);
  assert.match(
    rate.message,
    /^Cannot fetch binance BTC\/USDT 5m candles: rate limited .*Retry-After 2s/,
  );
  const ddos = translateCcxtError(new ccxt.DDoSProtection("418"), { what });
  assert.ok(ddos instanceof RateLimitBrokerError);
  assert.equal(ddos.retryAfterMs, undefined);
  const down = translateCcxtError(new ccxt.ExchangeNotAvailable("503"), { what });
  assert.ok(down instanceof ExchangeUnavailableBrokerError);
  const timeout = translateCcxtError(new ccxt.RequestTimeout("slow"), { what });
  assert.ok(timeout instanceof NetworkBrokerError);
  assert.match(timeout.message, /timed out/);
  const net = translateCcxtError(new ccxt.NetworkError("fetch failed"), { what });
  assert.ok(net instanceof NetworkBrokerError);
  const raw = translateCcxtError(new TypeError("error reading a body from connection"), { what });
  assert.ok(raw instanceof NetworkBrokerError);
  assert.ok(
    translateCcxtError(new Deno.errors.ConnectionReset("reset"), { what }) instanceof
      NetworkBrokerError,
  );
  assert.equal(rate.cause instanceof ccxt.RateLimitExceeded, true);
});

Deno.test("translateCcxtError() maps errors that will not change to exit-2 errors", () => {
  const bad = translateCcxtError(new ccxt.BadSymbol("binance does not have market FOO/BAR"), {
    what,
  });
  assert.ok(bad instanceof DataError);
  assert.match(bad.message, /unknown symbol: binance does not have market FOO\/BAR/);
  assert.ok(
    translateCcxtError(new ccxt.BadRequest("Invalid interval."), { what }) instanceof UsageError,
  );
  assert.ok(translateCcxtError(new ccxt.NotSupported("no 7m"), { what }) instanceof UsageError);
  const auth = translateCcxtError(new ccxt.AuthenticationError("key"), { what });
  assert.ok(auth instanceof ConfigError);
  assert.equal(auth.exitCode, 2);
  const other = translateCcxtError(new ccxt.ExchangeError("weird"), { what });
  assert.ok(other instanceof BrokerError);
  assert.equal(other.retryable, false);
  assert.equal(other.exitCode, 1);
  const bug = translateCcxtError(new RangeError("bug"), { what });
  assert.ok(bug instanceof BrokerError);
  assert.equal(bug.retryable, false);
});

Deno.test("translateCcxtError() passes dagtrade errors through and shortens long messages", () => {
  const stop = new InterruptedError("stop");
  assert.equal(translateCcxtError(stop, { what }), stop);
  const long = translateCcxtError(new ccxt.ExchangeError("x".repeat(1000)), { what });
  assert.ok(long.message.length < 400);
});

Deno.test("parseRetryAfter() reads delta-seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter("0.5"), 500);
  assert.equal(parseRetryAfter(2), 2000);
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:07 GMT", now), 7000);
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:07 GMT"), undefined);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});
