import assert from "node:assert/strict";
import { join } from "node:path";
import { CcxtBroker, IdCounter, Order } from "../oms/mod.ts";
import { orderToRow } from "../oms/db/mod.ts";
import { assetIdOf } from "../sim/mod.ts";
import {
  _emulatorOrders,
  _emulatorTrades,
  _prodConfig,
  type _ProdVenue,
  _withProdVenue,
} from "./_test_prod.ts";
import { ccxtExecution } from "./ccxt_execution.ts";
import { readRunProdSettings } from "./run_prod_settings.ts";

const FULL = ["binance::BTC_USDT", "binance::ETH_USDT"];
const PREFIX = "dtcrash";

/**
 * A session that died after submitting two parents: a BTC buy whose crossing child filled and
 * an ETH buy whose child rests under the market; nothing recorded in the OMS database, the
 * broker's later waves never ran.
 */
async function crashedSession(venue: _ProdVenue, runDir: string): Promise<Order[]> {
  await venue.exchange.loadMarkets();
  const broker = await CcxtBroker.create(venue.exchange, {
    clock: venue.clock,
    runId: PREFIX,
    symbols: FULL,
    runDir,
    passivityFactor: 0,
    spawn: () => undefined, // the process dies: no background waves
  });
  const now = venue.start + 10_000;
  const ids = new IdCounter(7);
  const make = (full: string, shares: number, type: "twap" | "limit", limit?: number) =>
    Order.create(ids, {
      creationTimestamp: now,
      assetId: assetIdOf(full),
      type,
      startTimestamp: now,
      endTimestamp: venue.start + 300_000,
      currentShares: 0,
      diffShares: shares,
      limitPrice: limit,
    });
  const orders = [
    make(FULL[0] as string, 0.01, "twap"),
    make(FULL[1] as string, 1, "limit", 1_000),
  ];
  await venue.clock.run(async () => {
    await venue.clock.sleepUntil(now);
    await broker.submitOrders(orders, { wallTime: now });
  });
  broker.log.close();
  return orders;
}

function recoverOptions(
  venue: _ProdVenue,
  runDir: string,
  orders = [] as ReturnType<typeof orderToRow>[],
) {
  return {
    runDir,
    clock: venue.clock,
    fillIds: new IdCounter(3),
    orders,
    fullSymbols: FULL,
    clientOrderIdPrefix: PREFIX,
    settings: readRunProdSettings(_prodConfig(venue)),
    log: () => {},
  };
}

Deno.test("ccxtExecution.recover() resolves a killed session's orders from the broker journal: resting children cancelled, fills folded", async () => {
  await _withProdVenue(async (venue) => {
    const runDir = join(venue.root, "run");
    const orders = await crashedSession(venue, runDir);
    assert.equal(venue.emulator.engine.openOrders().length, 1, "the ETH child rests");
    const recovery = await venue.clock.run(() =>
      ccxtExecution(venue.exchange).recover(recoverOptions(venue, runDir))
    );
    assert.deepEqual([...recovery.unknownToDb], [7, 8], "the database never recorded them");
    assert.equal(recovery.maxOrderId, 8);
    const [btc, eth] = recovery.parents;
    assert.equal(btc?.order.state, "filled");
    const trades = _emulatorTrades(venue.emulator, "BTCUSDT");
    assert.equal(btc?.fill?.id, 3);
    assert.ok(Math.abs((btc?.fill?.shares ?? 0) - 0.01) < 1e-12);
    const cost = trades.reduce((n, t) => n + t.quoteQty, 0);
    assert.ok(Math.abs((btc?.fill?.price ?? 0) - cost / 0.01) < 1e-9);
    assert.ok(
      Math.abs((btc?.fill?.fee ?? 0) - trades.reduce((n, t) => n + t.commission, 0)) < 1e-12,
    );
    assert.equal(eth?.order.state, "cancelled");
    assert.equal(eth?.fill, undefined);
    assert.deepEqual(venue.emulator.engine.openOrders(), [], "the resting child was cancelled");
    assert.equal(orders.length, 2);
    // Nothing was created by the recovery.
    assert.equal(_emulatorOrders(venue.emulator, "BTCUSDT").length, 1);
    assert.equal(_emulatorOrders(venue.emulator, "ETHUSDT").length, 1);
  }, { knownAtEnd: true });
});

Deno.test("ccxtExecution.recover(): an order open in the database without a journal is found by its possible client ids", async () => {
  await _withProdVenue(async (venue) => {
    const runDir = join(venue.root, "run");
    const orders = await crashedSession(venue, runDir);
    await Deno.remove(join(runDir, "broker"), { recursive: true });
    const rows = orders.map((o) =>
      orderToRow(new Order({ ...o.toFields(), state: "accepted" }), {
        runId: "r",
        filename: "f",
        updatedAt: venue.start,
      })
    );
    const recovery = await venue.clock.run(() =>
      ccxtExecution(venue.exchange).recover(recoverOptions(venue, runDir, rows))
    );
    assert.deepEqual([...recovery.unknownToDb], []);
    assert.deepEqual(recovery.parents.map((p) => p.order.state), ["filled", "cancelled"]);
    assert.ok(Math.abs((recovery.parents[0]?.fill?.shares ?? 0) - 0.01) < 1e-12);
    assert.deepEqual(venue.emulator.engine.openOrders(), []);
  }, { knownAtEnd: true });
});
