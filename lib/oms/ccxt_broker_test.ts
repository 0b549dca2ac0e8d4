import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors/mod.ts";
import {
  _emulatorOrders,
  _emulatorTrades,
  _ETH,
  _fold,
  _M5,
  _parent,
  _readLog,
  _T0,
  _withVenue,
} from "./_ccxt_test_venue.ts";
import { CCXT_BROKER_LOG_FILES } from "./ccxt_broker_log.ts";
import { Order } from "./order.ts";

const START = _T0 + 10_000;
const END = _T0 + _M5;

Deno.test("CcxtBroker.submitOrders() runs static waves and folds the child trades into one parent fill", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds, runDir }) => {
    const order = _parent(orderIds, { shares: 3, start: START, end: END });
    const fills = await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      assert.equal(order.state, "accepted");
      assert.deepEqual(broker.getFills(), [], "the parent fills once, at its end");
      await clock.sleepUntil(END + 1_000);
      return broker.getFills();
    });
    const orders = _emulatorOrders(emulator);
    assert.deepEqual(orders.map((o) => o.clientOrderId), [0, 1, 2, 3, 4].map((k) => `t1-0-${k}`));
    assert.deepEqual(orders.map((o) => o.time), [0, 1, 2, 3, 4].map((k) => START + k * 60_000));
    assert.ok(orders.every((o) => o.origQty === 0.6 && o.price === 100.1), "cross at the ask");
    const fold = _fold(_emulatorTrades(emulator));
    assert.equal(fills.length, 1);
    const fill = fills[0]!;
    assert.equal(fill.orderId, order.id);
    assert.ok(Math.abs(fill.shares - 3) < 1e-12 && Math.abs(fold.shares - 3) < 1e-12);
    assert.ok(Math.abs(fill.price - fold.price) < 1e-9);
    assert.ok(Math.abs(fill.fee - fold.fee) < 1e-9 && fill.fee > 0);
    assert.equal(fill.timestamp, START + 4 * 60_000, "the last trade's time");
    assert.equal(order.state, "filled");
    assert.deepEqual(broker.openOrders(), []);
    const logged = await _readLog(join(runDir, "broker", CCXT_BROKER_LOG_FILES.fill));
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.fill, fill.toString());
    const requests = await _readLog(join(runDir, "broker", CCXT_BROKER_LOG_FILES.request));
    assert.ok(requests.some((r) => r.method === "createOrder" && r.ok === true));
    assert.ok(requests.every((r) => typeof r.time === "number"));
  }, { broker: { passivityFactor: 0, quantityMode: "static" } });
});

Deno.test("CcxtBroker.waitUntilIdle() returns once the background waves are done", async () => {
  await _withVenue(async ({ clock, broker, orderIds }) => {
    const order = _parent(orderIds, { shares: 1, start: START, end: END });
    const at = await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      await broker.waitUntilIdle();
      return clock.now();
    });
    assert.equal(at, END, "the last child is settled at the parent's end");
    // The bar ending at END (low 99) is known at END: the child resting at the bid (99.9) fills
    // on it just before its cancel.
    assert.equal(order.state, "filled");
    assert.deepEqual(broker.getFills().map((f) => [f.shares, f.price, f.timestamp]), [[
      1,
      99.9,
      END,
    ]]);
    assert.equal(broker.stats.children, 5);
  }, { broker: { passivityFactor: 1 } });
});

Deno.test("CcxtBroker dynamic quantity: a crossing first child fills the whole parent", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const order = _parent(orderIds, { shares: -2.5, start: START, end: END });
    const done = await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      await broker.waitUntilIdle();
      return clock.now();
    });
    assert.equal(done, START + 60_000, "confirmed (trades collected) at the next wave");
    const fills = broker.getFills();
    assert.equal(fills.length, 1);
    assert.equal(fills[0]!.shares, -2.5);
    assert.equal(fills[0]!.price, 99.9, "a sell crosses at the bid");
    assert.equal(fills[0]!.timestamp, START);
    assert.equal(order.state, "filled");
    assert.equal(_emulatorOrders(emulator).length, 1, "no further wave");
  }, { broker: { passivityFactor: 0 } });
});

Deno.test("CcxtBroker prices children from bid/ask and the passivity factor, and close() cancels them", async () => {
  for (
    const [pf, shares, price] of [[0.5, 1, 100], [1, 1, 99.9], [1, -1, 100.1], [
      0.25,
      1,
      100.05,
    ]] as [number, number, number][]
  ) {
    await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
      const order = _parent(orderIds, { shares, start: START, end: END });
      await clock.run(async () => {
        await broker.submitOrders([order], { wallTime: START });
        const [child] = _emulatorOrders(emulator);
        assert.equal(child?.price, price, `pf ${pf} shares ${shares}`);
        assert.equal(child?.status, "NEW");
        await broker.close();
      });
      assert.equal(order.state, "cancelled");
      assert.deepEqual(emulator.engine.openOrders(), [], "nothing left resting");
      assert.deepEqual(broker.getFills(), []);
    }, { broker: { passivityFactor: pf } });
  }
});

Deno.test("CcxtBroker resting children fill partially across bars: dynamic completes, static paces", async () => {
  for (const mode of ["dynamic", "static"] as const) {
    await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
      const end = _T0 + 3 * _M5;
      const order = _parent(orderIds, { shares: 25, start: START, end });
      const fills = await clock.run(async () => {
        await broker.submitOrders([order], { wallTime: START });
        await clock.sleepUntil(end + 1_000);
        return broker.getFills();
      });
      const trades = _emulatorTrades(emulator);
      const fold = _fold(trades);
      assert.equal(fills.length, 1);
      assert.ok(Math.abs(fills[0]!.shares - fold.shares) < 1e-9);
      assert.ok(Math.abs(fills[0]!.fee - fold.fee) < 1e-9);
      assert.equal(fills[0]!.price, 99.9);
      assert.deepEqual(
        trades.map((t) => t.time),
        [_T0 + _M5, _T0 + 2 * _M5, _T0 + 3 * _M5],
        "resting fills at the bars' ends",
      );
      if (mode === "dynamic") {
        assert.deepEqual(trades.map((t) => t.qty), [10, 10, 5], "10% of each bar's volume");
        assert.equal(order.state, "filled");
      } else {
        // 15 waves of 25/15 = 1.6667 (at the amount step, the rounding carried: 1.666, 1.667, 1.667,
        // …); only the children resting across a bar end (waves 4, 9, 14) fill.
        assert.deepEqual(trades.map((t) => t.qty), [1.667, 1.666, 1.667]);
        assert.equal(order.state, "cancelled");
      }
      assert.equal(_emulatorOrders(emulator).length, 15);
    }, { broker: { passivityFactor: 1, quantityMode: mode } });
  }
});

Deno.test("CcxtBroker skips children under the minimum cost and carries them (static)", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const tiny = _parent(orderIds, { shares: 0.04, start: START, end: END });
    const small = _parent(orderIds, { shares: 0.12, start: START, end: END, symbol: _ETH });
    const fills = await clock.run(async () => {
      await broker.submitOrders([tiny, small], { wallTime: START });
      await clock.sleepUntil(END + 1_000);
      return broker.getFills();
    });
    assert.deepEqual(_emulatorOrders(emulator), [], "0.04 × 100.1 is under the min notional 5");
    assert.equal(tiny.state, "cancelled");
    // 0.024 per wave: waves 0 and 1 are carried, wave 2 trades 0.072; 0.048 is left.
    const eth = _emulatorOrders(emulator, "ETHUSDT");
    assert.deepEqual(eth.map((o) => [o.clientOrderId, o.origQty]), [["t1-1-2", 0.072]]);
    assert.equal(fills.length, 1);
    assert.equal(fills[0]!.shares, 0.072);
    assert.equal(small.state, "cancelled", "partially filled, the rest expired at the end");
    assert.equal(broker.stats.skippedWaves, 5 + 4);
  }, { broker: { passivityFactor: 0, quantityMode: "static" } });
});

Deno.test("CcxtBroker runs market parents as one market child and caps limit parents' prices", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const market = _parent(orderIds, { shares: 1, start: START, end: END, type: "market" });
    const limit = _parent(orderIds, {
      shares: 1,
      start: START,
      end: END,
      type: "limit",
      limit: 99.5,
      symbol: _ETH,
    });
    await clock.run(async () => {
      await broker.submitOrders([market, limit], { wallTime: START });
      await broker.close();
    });
    const [m] = _emulatorOrders(emulator);
    assert.equal(m?.type, "MARKET");
    assert.equal(market.state, "filled");
    const [l] = _emulatorOrders(emulator, "ETHUSDT");
    assert.equal(l?.price, 99.5, "pf 0 would cross at 100.1; the parent's limit caps it");
    assert.equal(limit.state, "cancelled");
    const fills = broker.getFills();
    assert.deepEqual(fills.map((f) => [f.orderId, f.shares, f.price]), [[market.id, 1, 100.1]]);
  }, { broker: { passivityFactor: 0 } });
});

Deno.test("CcxtBroker.submitOrders() refuses what it cannot execute and rejects late orders", async () => {
  await _withVenue(async ({ clock, broker, orderIds }) => {
    const sized = Order.create(orderIds, {
      creationTimestamp: START,
      assetId: _parent(orderIds, { shares: 1, start: START, end: END }).assetId,
      type: "twap",
      startTimestamp: START,
      endTimestamp: END,
      currentShares: 0,
      diffShares: 0,
      targetWeight: 0.5,
    });
    await assert.rejects(broker.submitOrders([sized], { wallTime: START }), UsageError);
    const stranger = Order.create(orderIds, {
      creationTimestamp: START,
      assetId: 42,
      type: "twap",
      startTimestamp: START,
      endTimestamp: END,
      currentShares: 0,
      diffShares: 1,
    });
    const ok = _parent(orderIds, { shares: 1, start: START, end: END });
    await assert.rejects(broker.submitOrders([ok, stranger], { wallTime: START }), UsageError);
    assert.equal(ok.state, "submitted", "nothing changed");
    const late = _parent(orderIds, { shares: 1, start: START, end: START + 3_000 });
    await clock.run(() => broker.submitOrders([late], { wallTime: START }));
    assert.equal(late.state, "rejected", "no wave fits in 3 s");
  });
});
