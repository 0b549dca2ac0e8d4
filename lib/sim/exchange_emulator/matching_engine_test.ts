import assert from "node:assert/strict";
import { BinanceApiError } from "./binance_api_error.ts";
import { EmulatorAccount } from "./emulator_account.ts";
import { MatchingEngine, type NewOrder } from "./matching_engine.ts";
import { _M5, _markets, _T0 } from "./_test_helpers.ts";

/** BTC bars (tick 0.01, step 0.0001), each known 10 s after its end. */
const BARS = [
  { end: _T0 + _M5, o: 100_000, h: 100_050.25, l: 99_950, c: 100_000, v: 10.0001 },
  { end: _T0 + 2 * _M5, o: 100_000, h: 100_020, l: 99_900, c: 99_950, v: 5 },
  { end: _T0 + 3 * _M5, o: 99_950, h: 100_100, l: 99_800, c: 100_050, v: 5 },
  { end: _T0 + 4 * _M5, o: 100_050, h: 100_300, l: 100_000, c: 100_200, v: 2 },
];
const known = (bar: number) => _T0 + bar * _M5 + 10_000;

function setup(balances: Record<string, number> = { USDT: 100_000, BTC: 1 }) {
  const account = new EmulatorAccount(balances);
  const engine = new MatchingEngine(_markets(BARS), account, {
    halfSpreadBps: 1,
    makerFeeBps: 10,
    takerFeeBps: 10,
    volumeShare: 0.1,
  });
  const place = (o: Omit<NewOrder, "symbol">, now: number) => {
    engine.tick(now);
    return engine.placeOrder({ symbol: "BTCUSDT", ...o }, now);
  };
  return { account, engine, place };
}

function rejects(fn: () => unknown, code: number, msg?: string): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof BinanceApiError && e.code === code && (msg === undefined || e.message === msg),
  );
}

Deno.test("MatchingEngine.placeOrder() fills a market buy at the ask with the taker fee", () => {
  const { account, engine, place } = setup({ USDT: 10_000 });
  const o = place({ side: "BUY", type: "MARKET", quantity: 0.01 }, known(1));
  assert.equal(o.status, "FILLED");
  assert.equal(o.executedQty, 0.01);
  assert.equal(o.cummulativeQuoteQty, 1000.1); // ask = 100000 × 1.0001
  const [t] = engine.tradesOf(o);
  assert.ok(t !== undefined);
  assert.deepEqual([t.price, t.qty, t.isMaker, t.commissionAsset, t.time], [
    100_010,
    0.01,
    false,
    "USDT",
    known(1),
  ]);
  assert.ok(Math.abs(t.commission - 1.0001) < 1e-9);
  assert.deepEqual(account.balance("USDT"), { free: 8998.8999, locked: 0 });
  assert.deepEqual(account.balance("BTC"), { free: 0.01, locked: 0 });
});

Deno.test("MatchingEngine.placeOrder() fills a market sell at the bid and a quoteOrderQty buy", () => {
  const { account, place } = setup({ USDT: 10_000, BTC: 0.1 });
  const sell = place({ side: "SELL", type: "MARKET", quantity: 0.005 }, known(1));
  assert.equal(sell.cummulativeQuoteQty, 499.95); // bid 99990
  assert.deepEqual(account.balance("USDT"), { free: 10_499.45005, locked: 0 });
  assert.equal(account.balance("BTC").free, 0.095);
  const buy = place({ side: "BUY", type: "MARKET", quoteOrderQty: 1000 }, known(1));
  assert.equal(buy.executedQty, 0.0099); // floor(1000 / 100010) to the 0.0001 step
  assert.equal(buy.origQuoteOrderQty, 1000);
});

Deno.test("MatchingEngine.tick() fills a resting limit buy on later bars, capped by bar volume", () => {
  const { account, engine, place } = setup();
  const o = place(
    { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: 0.6, price: 99_920 },
    known(1),
  );
  assert.equal(o.status, "NEW");
  const lock = 0.6 * 99_920 * 1.001;
  assert.ok(Math.abs(account.balance("USDT").locked - lock) < 1e-6);
  engine.tick(known(2) - 1);
  assert.equal(o.executedQty, 0);
  engine.tick(known(2)); // bar 2: low 99900 ≤ 99920, at most 10% of 5
  assert.equal(o.status, "PARTIALLY_FILLED");
  assert.equal(o.executedQty, 0.5);
  assert.equal(engine.openOrders("BTCUSDT").length, 1);
  engine.tick(known(3));
  assert.equal(o.status, "FILLED");
  assert.equal(o.updateTime, _T0 + 3 * _M5);
  const trades = engine.trades("BTCUSDT", { orderId: o.orderId, limit: 10 });
  assert.deepEqual(trades.map((t) => [t.price, t.qty, t.isMaker, t.time]), [
    [99_920, 0.5, true, _T0 + 2 * _M5],
    [99_920, 0.1, true, _T0 + 3 * _M5],
  ]);
  assert.equal(account.balance("USDT").locked, 0);
  assert.ok(Math.abs(account.balance("USDT").free - (100_000 - lock)) < 1e-6);
  assert.equal(account.balance("BTC").free, 1.6);
  assert.equal(engine.openOrders().length, 0);
});

Deno.test("MatchingEngine.tick() fills a limit sell when the high reaches it, only on bars after it", () => {
  const { account, engine, place } = setup();
  // Placed at 10:10:05, before bar 2 (ending 10:10) is known: bar 2 must not fill it.
  const o = place({
    side: "SELL",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: 0.2,
    price: 100_015,
  }, known(2) - 5_000);
  assert.equal(account.balance("BTC").locked, 0.2);
  engine.tick(known(2));
  assert.equal(o.executedQty, 0);
  engine.tick(known(4)); // bar 3 high 100100: fill 0.2 (cap 0.5)
  assert.equal(o.status, "FILLED");
  assert.deepEqual(engine.tradesOf(o).map((t) => t.time), [_T0 + 3 * _M5]);
  assert.deepEqual(account.balance("BTC"), { free: 0.8, locked: 0 });
  assert.ok(Math.abs(account.balance("USDT").free - (100_000 + 0.2 * 100_015 * 0.999)) < 1e-6);
});

Deno.test("MatchingEngine.placeOrder() fills a marketable limit at once as taker; IOC expires", () => {
  const { engine, place } = setup();
  const o = place(
    { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: 0.1, price: 100_100 },
    known(1),
  );
  assert.equal(o.status, "FILLED");
  assert.deepEqual(engine.tradesOf(o).map((t) => [t.price, t.isMaker]), [[100_010, false]]);
  const ioc = place({
    side: "BUY",
    type: "LIMIT",
    timeInForce: "IOC",
    quantity: 0.1,
    price: 99_000,
  }, known(1));
  assert.equal(ioc.status, "EXPIRED");
  assert.equal(engine.openOrders().length, 0);
});

Deno.test("MatchingEngine.cancelOrder() releases the lock; a second cancel is -2011", () => {
  const { account, engine, place } = setup();
  const o = place({
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: 0.1,
    price: 90_000,
    newClientOrderId: "c1",
  }, known(1));
  assert.ok(account.balance("USDT").locked > 0);
  const c = engine.cancelOrder({ symbol: "BTCUSDT", origClientOrderId: "c1" }, known(1) + 1);
  assert.equal(c.status, "CANCELED");
  assert.deepEqual(account.balance("USDT"), { free: 100_000, locked: 0 });
  rejects(() => engine.cancelOrder({ symbol: "BTCUSDT", orderId: o.orderId }, known(1) + 2), -2011);
  assert.equal(engine.getOrder({ symbol: "BTCUSDT", orderId: o.orderId }).status, "CANCELED");
  rejects(() => engine.getOrder({ symbol: "BTCUSDT", orderId: 999 }), -2013);
  rejects(() => engine.getOrder({ symbol: "ETHUSDT", orderId: o.orderId }), -2013);
  rejects(() => engine.getOrder({ symbol: "BTCUSDT" }), -1102);
});

Deno.test("MatchingEngine.placeOrder() rejects duplicates, short funds, filters and a closed market", () => {
  const { engine, place } = setup({ USDT: 1000 });
  place({ side: "BUY", type: "MARKET", quantity: 0.001, newClientOrderId: "abc" }, known(1));
  rejects(
    () =>
      place({ side: "BUY", type: "MARKET", quantity: 0.001, newClientOrderId: "abc" }, known(1)),
    -2010,
    "Duplicate order sent.",
  );
  rejects(
    () => place({ side: "BUY", type: "MARKET", quantity: 1 }, known(1)),
    -2010,
    "Account has insufficient balance for requested action.",
  );
  rejects(
    () =>
      place(
        { side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: 1, price: 200_000 },
        known(1),
      ),
    -2010,
  );
  rejects(
    () => place({ side: "BUY", type: "MARKET", quantity: 0.00001 }, known(1)),
    -1013,
    "Filter failure: LOT_SIZE",
  );
  rejects(
    () =>
      place(
        { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: 0.001, price: 90_000.001 },
        known(1),
      ),
    -1013,
    "Filter failure: PRICE_FILTER",
  );
  rejects(
    () =>
      place(
        { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: 0.0001, price: 9_000 },
        known(1),
      ),
    -1013,
    "Filter failure: NOTIONAL",
  );
  rejects(
    () => place({ side: "BUY", type: "LIMIT", quantity: 0.001, price: 90_000 }, known(1)),
    -1102,
  );
  rejects(
    () => place({ side: "BUY", type: "MARKET", quantity: 0.001, price: 90_000 }, known(1)),
    -1106,
  );
  const fresh = setup();
  rejects(
    () => fresh.place({ side: "BUY", type: "MARKET", quantity: 0.001 }, known(1) - 1),
    -2010,
    "Market is closed.",
  );
  assert.equal(engine.orders("BTCUSDT", { limit: 10 }).length, 1);
});

Deno.test("MatchingEngine.orders()/trades() page like Binance's allOrders/myTrades", () => {
  const { engine, place } = setup();
  for (let i = 0; i < 5; i++) place({ side: "BUY", type: "MARKET", quantity: 0.001 }, known(1) + i);
  assert.deepEqual(engine.trades("BTCUSDT", { limit: 2 }).map((t) => t.id), [4, 5]);
  assert.deepEqual(engine.trades("BTCUSDT", { fromId: 2, limit: 2 }).map((t) => t.id), [2, 3]);
  assert.deepEqual(
    engine.trades("BTCUSDT", { startTime: known(1) + 3, limit: 9 }).map((t) => t.id),
    [4, 5],
  );
  assert.deepEqual(engine.orders("BTCUSDT", { orderId: 4, limit: 9 }).map((o) => o.orderId), [
    4,
    5,
  ]);
  assert.deepEqual(engine.orders("BTCUSDT", { limit: 1 }).map((o) => o.orderId), [5]);
});
