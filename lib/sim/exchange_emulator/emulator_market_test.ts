import assert from "node:assert/strict";
import { DataError } from "../../errors/mod.ts";
import { EmulatorMarket } from "./emulator_market.ts";
import { _barsFrame, _flatBars, _M5, _markets, _T0 } from "./_test_helpers.ts";

const H1 = 3_600_000;

function ramp(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    end: _T0 + (i + 1) * _M5,
    o: 100 + i,
    h: 101 + i,
    l: 99 + i,
    c: 100.5 + i,
    v: 1 + i,
  }));
}

Deno.test("EmulatorMarket.fromBars() keys markets by Binance symbol with their assets", () => {
  const markets = _markets([
    ..._flatBars(2),
    { symbol: "binance::ETH_USDT", end: _T0 + _M5, o: 3000, h: 3001, l: 2999, c: 3000 },
  ]);
  assert.deepEqual([...markets.keys()], ["BTCUSDT", "ETHUSDT"]);
  const btc = markets.get("BTCUSDT") as EmulatorMarket;
  assert.equal(btc.base, "BTC");
  assert.equal(btc.quote, "USDT");
  assert.equal(btc.ccxtSymbol, "BTC/USDT");
  assert.equal(btc.barMs, _M5);
  assert.equal(btc.length, 2);
});

Deno.test("EmulatorMarket.fromBars() refuses several exchanges unless one is chosen", () => {
  const bars = _barsFrame([
    ..._flatBars(1),
    { symbol: "kraken::BTC_USD", end: _T0 + _M5, o: 1, h: 1, l: 1, c: 1 },
  ]);
  assert.throws(() => EmulatorMarket.fromBars(bars), DataError);
  assert.deepEqual([...EmulatorMarket.fromBars(bars, { exchange: "kraken" }).keys()], ["BTCUSD"]);
});

Deno.test("EmulatorMarket.klines() serves only bars known at now, never the forming one", () => {
  const m = _markets(ramp(6)).get("BTCUSDT") as EmulatorMarket;
  // Bar 3 ends at T0+15m and is known at T0+15m10s.
  const at = (now: number) => m.klines(_M5, { limit: 500, now }).map((k) => k[0]);
  assert.deepEqual(at(_T0 + 3 * _M5), [_T0, _T0 + _M5]);
  assert.deepEqual(at(_T0 + 3 * _M5 + 10_000), [_T0, _T0 + _M5, _T0 + 2 * _M5]);
  const k = m.klines(_M5, { limit: 1, now: _T0 + 3 * _M5 + 10_000 })[0];
  assert.deepEqual(k, [
    _T0 + 2 * _M5,
    "102.00000000",
    "103.00000000",
    "101.00000000",
    "102.50000000",
    "3.00000000",
    _T0 + 3 * _M5 - 1,
    (3 * (103 + 101 + 102.5) / 3).toFixed(8),
    0,
    "0.00000000",
    "0.00000000",
    "0",
  ]);
});

Deno.test("EmulatorMarket.klines() pages with startTime/endTime/limit like Binance", () => {
  const m = _markets(ramp(12)).get("BTCUSDT") as EmulatorMarket;
  const now = _T0 + 24 * _M5;
  const opens = (q: { startTime?: number; endTime?: number; limit: number }) =>
    m.klines(_M5, { ...q, now }).map((k) => (k[0] - _T0) / _M5);
  assert.deepEqual(opens({ startTime: _T0 + 2 * _M5, limit: 3 }), [2, 3, 4]);
  assert.deepEqual(opens({ startTime: _T0 + 2 * _M5 + 1, limit: 2 }), [3, 4]);
  assert.deepEqual(opens({ startTime: _T0 + 9 * _M5, limit: 10 }), [9, 10, 11]);
  assert.deepEqual(opens({ limit: 2 }), [10, 11]);
  assert.deepEqual(opens({ endTime: _T0 + 4 * _M5, limit: 2 }), [3, 4]);
  assert.deepEqual(opens({ startTime: _T0, endTime: _T0 + 2 * _M5, limit: 10 }), [0, 1, 2]);
});

Deno.test("EmulatorMarket.klines() aggregates whole epoch-aligned periods once they are over", () => {
  const m = _markets(ramp(24)).get("BTCUSDT") as EmulatorMarket; // T0 10:00 → 12:00
  assert.deepEqual(m.klines(H1, { limit: 10, now: _T0 + H1 + 20_000 }).map((k) => k[0]), [_T0]);
  const [k] = m.klines(H1, { limit: 1, startTime: _T0, now: _T0 + 2 * H1 + 10_000 });
  assert.ok(k !== undefined);
  assert.equal(k[1], "100.00000000"); // open of the first bar
  assert.equal(k[2], "112.00000000"); // max high
  assert.equal(k[3], "99.00000000"); // min low
  assert.equal(k[4], "111.50000000"); // close of the 12th bar
  assert.equal(k[5], "78.00000000"); // 1 + … + 12
  assert.equal(k[6], _T0 + H1 - 1);
  // The second hour (bars 13..24) is only served once its last bar is known.
  assert.equal(m.klines(H1, { limit: 10, now: _T0 + 2 * H1 + 9_999 }).length, 1);
  assert.equal(m.klines(H1, { limit: 10, now: _T0 + 2 * H1 + 10_000 }).length, 2);
});

Deno.test("EmulatorMarket.lastKnownIndex() follows knowledge times", () => {
  const m = _markets(_flatBars(3)).get("BTCUSDT") as EmulatorMarket;
  assert.equal(m.lastKnownIndex(_T0 + _M5 + 9_999), -1);
  assert.equal(m.lastKnownIndex(_T0 + _M5 + 10_000), 0);
  assert.equal(m.lastKnownIndex(_T0 + 10 * _M5), 2);
});
