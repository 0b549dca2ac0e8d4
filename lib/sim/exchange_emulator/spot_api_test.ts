import assert from "node:assert/strict";
import { EmulatorAccount } from "./emulator_account.ts";
import { EmulatorRouter, parseParams } from "./emulator_router.ts";
import { MatchingEngine } from "./matching_engine.ts";
import { registerSpotApi } from "./spot_api.ts";
import { _M5, _markets, _T0 } from "./_test_helpers.ts";

const BARS = [
  { end: _T0 + _M5, o: 100_000, h: 100_050.25, l: 99_950, c: 100_000, v: 10.0001 },
  { end: _T0 + 2 * _M5, o: 100_000, h: 100_020, l: 99_900, c: 99_950, v: 5 },
  { symbol: "binance::ETH_USDT", end: _T0 + _M5, o: 3000, h: 3010.5, l: 2990, c: 3005, v: 20.001 },
  { symbol: "binance::ETH_USDT", end: _T0 + 2 * _M5, o: 3005, h: 3020, l: 3000, c: 3012.25, v: 30 },
];
const NOW = _T0 + 2 * _M5 + 10_000;

function setup() {
  const markets = _markets(BARS);
  const account = new EmulatorAccount({ USDT: 50_000, BTC: 0 });
  const engine = new MatchingEngine(markets, account, { halfSpreadBps: 1 });
  const router = new EmulatorRouter();
  registerSpotApi(router, { markets, engine, account, volumeShare: 0.1, now: () => NOW });
  const call = async (route: string, params: Record<string, string> = {}) => {
    const [method, path] = route.split(" ") as [string, string];
    const query = new URLSearchParams(params).toString();
    const res = await router.handle({
      method,
      path,
      query,
      body: "",
      params: parseParams(query, ""),
      header: () => undefined,
    });
    return { status: res.status, body: JSON.parse(res.body) };
  };
  return { call, engine };
}

Deno.test("registerSpotApi() serves exchangeInfo for all, one or a list of symbols", async () => {
  const { call } = setup();
  const all = await call("GET /api/v3/exchangeInfo");
  assert.deepEqual(all.body.symbols.map((s: { symbol: string }) => s.symbol), [
    "BTCUSDT",
    "ETHUSDT",
  ]);
  assert.equal(all.body.serverTime, NOW);
  const eth = all.body.symbols[1];
  assert.deepEqual([eth.baseAsset, eth.quoteAsset, eth.status], ["ETH", "USDT", "TRADING"]);
  const one = await call("GET /api/v3/exchangeInfo", { symbols: '["ETHUSDT"]' });
  assert.equal(one.body.symbols.length, 1);
  assert.equal((await call("GET /api/v3/exchangeInfo", { symbol: "XYZ" })).body.code, -1121);
  assert.equal((await call("GET /api/v3/exchangeInfo", { symbols: "[oops" })).body.code, -1100);
});

Deno.test("registerSpotApi() serves prices, book tickers, 24h tickers and a synthetic depth", async () => {
  const { call } = setup();
  assert.deepEqual((await call("GET /api/v3/ticker/price")).body, [
    { symbol: "BTCUSDT", price: "99950.00000000" },
    { symbol: "ETHUSDT", price: "3012.25000000" },
  ]);
  const book = (await call("GET /api/v3/ticker/bookTicker", { symbol: "BTCUSDT" })).body;
  // 99950 ∓ 1 bp on the 0.01 tick; size 10% of the last bar's 5 BTC.
  assert.deepEqual(book, {
    symbol: "BTCUSDT",
    bidPrice: "99940.00000000",
    bidQty: "0.50000000",
    askPrice: "99960.00000000",
    askQty: "0.50000000",
  });
  const t = (await call("GET /api/v3/ticker/24hr", { symbol: "ETHUSDT" })).body;
  assert.deepEqual(
    [t.openPrice, t.highPrice, t.lowPrice, t.lastPrice, t.volume, t.priceChange],
    [
      "3000.00000000",
      "3020.00000000",
      "2990.00000000",
      "3012.25000000",
      "50.00100000",
      "12.25000000",
    ],
  );
  assert.equal(t.priceChangePercent, "0.408");
  // Levels 1 bp of the bid (9.99 on the 0.01 tick) apart.
  const depth = (await call("GET /api/v3/depth", { symbol: "BTCUSDT", limit: "3" })).body;
  assert.deepEqual(depth.bids.map((b: string[]) => b[0]), [
    "99940.00000000",
    "99930.01000000",
    "99920.02000000",
  ]);
  assert.deepEqual(depth.asks.map((a: string[]) => a[0]), [
    "99960.00000000",
    "99969.99000000",
    "99979.98000000",
  ]);
  assert.deepEqual(depth.bids[0][1], "0.50000000");
  assert.equal(
    (await call("GET /api/v3/depth", { symbol: "BTCUSDT", limit: "5001" })).body.code,
    -1130,
  );
});

Deno.test("registerSpotApi() validates new orders with Binance's parameter errors", async () => {
  const { call } = setup();
  const order = (p: Record<string, string>) =>
    call("POST /api/v3/order", {
      symbol: "BTCUSDT",
      side: "BUY",
      type: "MARKET",
      quantity: "0.01",
      ...p,
    });
  assert.equal((await order({ side: "HOLD" })).body.code, -1117);
  assert.equal((await order({ type: "STOP_LOSS" })).body.code, -1116);
  assert.equal((await order({ type: "LIMIT", timeInForce: "GTD", price: "1" })).body.code, -1115);
  assert.equal((await order({ quantity: "1e-3" })).body.code, -1100);
  assert.equal((await order({ newClientOrderId: "bad id!" })).body.code, -1100);
  assert.equal((await order({ symbol: "" })).body.code, -1102);
  const ack = (await order({ newOrderRespType: "ACK" })).body;
  assert.deepEqual(Object.keys(ack).sort(), [
    "clientOrderId",
    "orderId",
    "orderListId",
    "symbol",
    "transactTime",
  ]);
  const result = (await order({ newOrderRespType: "RESULT" })).body;
  assert.equal(result.status, "FILLED");
  assert.equal(result.fills, undefined);
  const full = (await order({})).body;
  assert.equal(full.fills.length, 1);
  assert.equal(full.fills[0].price, "99960.00000000");
});

Deno.test("registerSpotApi() lists, cancels and reports orders, trades and balances", async () => {
  const { call } = setup();
  const limit = (price: string, symbol = "BTCUSDT") =>
    call("POST /api/v3/order", {
      symbol,
      side: "BUY",
      type: "LIMIT",
      timeInForce: "GTC",
      quantity: "0.01",
      price,
    });
  await limit("90000");
  await limit("91000");
  await call("POST /api/v3/order", {
    symbol: "ETHUSDT",
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: "0.1",
    price: "2000",
  });
  assert.equal((await call("GET /api/v3/openOrders")).body.length, 3);
  assert.equal((await call("GET /api/v3/openOrders", { symbol: "BTCUSDT" })).body.length, 2);
  const account = (await call("GET /api/v3/account", { omitZeroBalances: "true" })).body;
  assert.deepEqual(account.balances.map((b: { asset: string }) => b.asset), ["USDT"]);
  assert.equal(
    account.balances[0].locked,
    (0.01 * 181_000 * 1.001 + 0.1 * 2000 * 1.001).toFixed(8),
  );
  assert.equal(account.makerCommission, 10);
  const canceled = (await call("DELETE /api/v3/openOrders", { symbol: "BTCUSDT" })).body;
  assert.deepEqual(canceled.map((o: { status: string }) => o.status), ["CANCELED", "CANCELED"]);
  assert.equal((await call("DELETE /api/v3/openOrders", { symbol: "BTCUSDT" })).body.code, -2011);
  const all = (await call("GET /api/v3/allOrders", { symbol: "BTCUSDT" })).body;
  assert.deepEqual(all.map((o: { orderId: number }) => o.orderId), [1, 2]);
  assert.deepEqual((await call("GET /api/v3/myTrades", { symbol: "BTCUSDT" })).body, []);
  assert.equal(
    (await call("GET /api/v3/order", { symbol: "BTCUSDT", orderId: "7" })).body.code,
    -2013,
  );
});
