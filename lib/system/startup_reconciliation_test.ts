import assert from "node:assert/strict";
import { reconcileStartup } from "./startup_reconciliation.ts";

const assets = [
  { assetId: 1, symbol: "BTC/USDT", base: "BTC", quote: "USDT", amountStep: 0.00001 },
  { assetId: 2, symbol: "ETH/USDT", base: "ETH", quote: "USDT", amountStep: 0.0001 },
];

Deno.test("reconcileStartup() matches positions within half an amount step, per currency", () => {
  const r = reconcileStartup({
    expected: new Map([[1, 0.10297], [2, 2.9326]]),
    assets,
    state: {
      balances: new Map([["BTC", 0.102970000001], ["ETH", 2.93262], ["USDT", 5]]),
      openOrders: [],
    },
    clientOrderIdPrefix: "dtx-",
    cash: 100,
  });
  assert.equal(r.ok, true);
  assert.deepEqual(r.positions.map((p) => p.currency), ["BTC", "ETH"]);
  assert.ok(
    r.lines.some((l) => /quote USDT: the exchange holds 5; the portfolio's cash is 100/.test(l)),
  );
});

Deno.test("reconcileStartup() reports position differences and open orders, own and foreign", () => {
  const r = reconcileStartup({
    expected: new Map([[1, 0.1]]),
    assets,
    state: {
      balances: new Map([["BTC", 0.2], ["ETH", 0]]),
      openOrders: [
        {
          symbol: "ETH/USDT",
          id: "5",
          clientOrderId: "dtx-3-0",
          side: "buy",
          amount: 1,
          filled: 0,
        },
        { symbol: "ETH/USDT", id: "6", clientOrderId: "web_1", side: "sell", amount: 2, filled: 1 },
      ],
    },
    clientOrderIdPrefix: "dtx-",
  });
  assert.equal(r.ok, false);
  assert.equal(r.mismatches.length, 3);
  assert.match(
    r.mismatches[0] ?? "",
    /BTC \(BTC\/USDT\): OMS expects 0\.1, the exchange holds 0\.2/,
  );
  assert.match(r.mismatches[1] ?? "", /dtx-3-0 .* belongs to this run/);
  assert.match(
    r.mismatches[2] ?? "",
    /open order 6 \(client id web_1\) on ETH\/USDT .* is not this run's/,
  );
  assert.deepEqual(r.ownOpenOrders.map((o) => o.id), ["5"]);
  assert.deepEqual(r.foreignOpenOrders.map((o) => o.id), ["6"]);
});
