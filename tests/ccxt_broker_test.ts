/**
 * The ccxt broker against the exchange emulator with the real ccxt client, under injected
 * faults: 429 and 5xx, timeouts and dropped answers on order creation, dropped connections on
 * every other call, partial fills, rejects, and random faults on every endpoint. Every test
 * counts on the EMULATOR's side that no client order id was ever created twice and that the
 * parent fills equal the fold of the emulator's own trades.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import ccxt from "ccxt";
import { RealClock, ReplayedClock } from "../lib/sim/mod.ts";
import {
  emulatorCcxtOptions,
  type EmulatorRequestRecord,
  type ExchangeEmulator,
  startExchangeEmulator,
} from "../lib/sim/exchange_emulator/mod.ts";
import {
  _emulatorOrders,
  _emulatorTrades,
  _ETH,
  _flatVenueBars,
  _fold,
  _M5,
  _parent,
  _T0,
  _venueBars,
  _withVenue,
} from "../lib/oms/_ccxt_test_venue.ts";
import { type Fill, IdCounter } from "../lib/oms/mod.ts";
import { BrokerError } from "../lib/errors/mod.ts";
import { CcxtBroker } from "../lib/oms/ccxt_broker.ts";

const START = _T0 + 10_000;
const END = _T0 + _M5;

/** POST /api/v3/order requests per client order id. */
function creations(emulator: ExchangeEmulator): Map<string, EmulatorRequestRecord[]> {
  const out = new Map<string, EmulatorRequestRecord[]>();
  for (const r of emulator.requests()) {
    if (r.method !== "POST" || r.path !== "/api/v3/order") continue;
    const id = r.params.newClientOrderId ?? "";
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
}

/**
 * Asserts that every client order id reached the matching engine exactly once (a request that
 * was answered, or handled and then dropped) and that no creation was refused as a duplicate.
 */
function assertCreatedOnce(emulator: ExchangeEmulator): void {
  const known = new Set(
    [..._emulatorOrders(emulator), ..._emulatorOrders(emulator, "ETHUSDT")].map((o) =>
      o.clientOrderId
    ),
  );
  for (const [id, records] of creations(emulator)) {
    const reached = records.filter((r) =>
      r.fault === "drop_after" || (r.fault === undefined && r.status !== "dropped")
    );
    assert.equal(reached.length, known.has(id) ? 1 : 0, `creations of ${id}: ${reached.length}`);
    assert.ok(reached.every((r) => r.fault === "drop_after" || r.status === 200), id);
  }
}

/** Asserts the parent's fill equals the fold of the emulator trades of its children. */
function assertFillIsFold(
  emulator: ExchangeEmulator,
  fills: readonly Fill[],
  parentId: number,
  symbol = "BTCUSDT",
  runId = "t1",
): void {
  const children = new Set(
    _emulatorOrders(emulator, symbol)
      .filter((o) => o.clientOrderId.startsWith(`${runId}-${parentId}-`))
      .map((o) => o.orderId),
  );
  const trades = _emulatorTrades(emulator, symbol).filter((t) => children.has(t.orderId));
  const fill = fills.filter((f) => f.orderId === parentId);
  if (trades.length === 0) {
    assert.equal(fill.length, 0, `parent ${parentId} has no trades`);
    return;
  }
  const fold = _fold(trades);
  assert.equal(fill.length, 1, `one fill for parent ${parentId}`);
  assert.ok(Math.abs(fill[0]!.shares - fold.shares) < 1e-9, `shares of parent ${parentId}`);
  assert.ok(Math.abs(fill[0]!.price - fold.price) < 1e-9, `price of parent ${parentId}`);
  assert.ok(Math.abs(fill[0]!.fee - fold.fee) < 1e-9, `fee of parent ${parentId}`);
}

Deno.test("CcxtBroker: 429 and 5xx on createOrder are retried after a lookup, never blindly", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    emulator.failNext("/api/v3/order", "429", { method: "POST", retryAfterS: 2 });
    emulator.failNext("/api/v3/order", "5xx", { method: "POST", status: 502 });
    const order = _parent(orderIds, { shares: 2, start: START, end: END });
    await clock.run(() => broker.submitOrders([order], { wallTime: START }));
    const fills = broker.getFills();
    assert.deepEqual(
      creations(emulator).get("t1-0-0")?.map((r) => [r.status, r.fault]),
      [[429, "429"], [502, "5xx"], [200, undefined]],
    );
    const lookups = emulator.requests().filter((r) =>
      r.method === "GET" && r.path === "/api/v3/order" && r.params.origClientOrderId === "t1-0-0"
    );
    assert.equal(lookups.length, 2, "each retry looked the id up first");
    assert.ok(lookups[0]!.time >= START + 2_000, "the retry waited for Retry-After on the clock");
    assertCreatedOnce(emulator);
    assertFillIsFold(emulator, fills, order.id);
    assert.equal(order.state, "filled");
    assert.equal(broker.stats.retries, 2);
  }, { broker: { passivityFactor: 0 } });
});

Deno.test("CcxtBroker: an order created whose answer was lost (drop_after) is adopted, not doubled", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    emulator.failNext("/api/v3/order", "drop_after", { method: "POST" });
    const order = _parent(orderIds, { shares: 2, start: START, end: END });
    await clock.run(() => broker.submitOrders([order], { wallTime: START }));
    const fills = broker.getFills();
    assert.equal(creations(emulator).get("t1-0-0")?.length, 1, "no second creation was sent");
    assert.equal(_emulatorOrders(emulator).length, 1);
    assertCreatedOnce(emulator);
    assertFillIsFold(emulator, fills, order.id);
    assert.equal(order.state, "filled");
  }, { broker: { passivityFactor: 0 } });
});

Deno.test("CcxtBroker: a createOrder that times out is looked up, then created once", async () => {
  // The first creation hangs on a clock that never moves: ccxt times out (300 ms real time).
  const frozen = new ReplayedClock(_T0);
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    emulator.failNext("/api/v3/order", "latency", { method: "POST", latencyMs: 60_000 });
    const order = _parent(orderIds, { shares: 2, start: START, end: END });
    await clock.run(() => broker.submitOrders([order], { wallTime: START }));
    const fills = broker.getFills();
    const posts = creations(emulator).get("t1-0-0") ?? [];
    assert.deepEqual(posts.map((r) => r.fault), ["latency", undefined]);
    assertCreatedOnce(emulator);
    assertFillIsFold(emulator, fills, order.id);
  }, { broker: { passivityFactor: 0 }, emulator: { latencyClock: frozen }, ccxtTimeoutMs: 300 });
});

Deno.test("CcxtBroker: dropped connections on cancels, lookups, trades and the book lose no fill", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const end = _T0 + 3 * _M5;
    const order = _parent(orderIds, { shares: 25, start: START, end });
    const fills = await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      emulator.failNext("/api/v3/order", "drop_after", { method: "DELETE", count: 3 });
      emulator.failNext("/api/v3/myTrades", "drop", { count: 2 });
      emulator.failNext("/api/v3/order", "drop", { method: "GET", count: 2 });
      emulator.failNext("/api/v3/ticker/bookTicker", "drop", { count: 2 });
      emulator.failNext("/api/v3/myTrades", "5xx", { count: 1 });
      await clock.sleepUntil(end + 1_000);
      return broker.getFills();
    });
    const faults = emulator.requests().filter((r) => r.fault !== undefined).length;
    assert.equal(faults, 3 + 2 + 2 + 2 + 1, "every queued fault was served");
    assertCreatedOnce(emulator);
    assertFillIsFold(emulator, fills, order.id);
    assert.equal(fills[0]!.shares, 25, "partial fills over three bars add up");
    assert.equal(order.state, "filled");
    assert.deepEqual(emulator.engine.openOrders(), []);
  }, { broker: { passivityFactor: 1 } });
});

Deno.test("CcxtBroker: a rejected first child rejects the parent; a later reject keeps the filled part", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    emulator.failNext("/api/v3/order", "reject", { method: "POST" });
    const first = _parent(orderIds, { shares: 3, start: START, end: END });
    await clock.run(() => broker.submitOrders([first], { wallTime: START }));
    assert.equal(first.state, "rejected");
    assert.deepEqual(broker.getFills(), []);

    const second = _parent(orderIds, { shares: 3, start: START, end: END, symbol: _ETH });
    const fills = await clock.run(async () => {
      await broker.submitOrders([second], { wallTime: START });
      await clock.sleepUntil(START + 61_000);
      emulator.failNext("/api/v3/order", "reject", { method: "POST" });
      await clock.sleepUntil(END + 1_000);
      return broker.getFills();
    });
    assert.equal(second.state, "cancelled");
    assert.equal(fills.length, 1);
    assert.ok(Math.abs(fills[0]!.shares - 1.2) < 1e-12, "waves 0 and 1 filled 0.6 each");
    assertFillIsFold(emulator, fills, second.id, "ETHUSDT");
    assert.deepEqual(
      _emulatorOrders(emulator, "ETHUSDT").map((o) => o.clientOrderId),
      ["t1-1-0", "t1-1-1"],
      "no wave after the reject",
    );
  }, { broker: { passivityFactor: 0, quantityMode: "static" } });
});

Deno.test("CcxtBroker: random faults on every endpoint never double an order nor lose a fill", async () => {
  const kinds = new Set<string>();
  for (const seed of [3, 7, 11, 19]) {
    await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
      const end = _T0 + 3 * _M5;
      const buy = _parent(orderIds, { shares: 25, start: START, end });
      const sell = _parent(orderIds, { shares: -18, start: START, end, symbol: _ETH });
      const fills = await clock.run(async () => {
        emulator.setFaults({ rate: 0.25, kinds: ["429", "5xx", "drop", "drop_after"], seed });
        await broker.submitOrders([buy, sell], { wallTime: START });
        await clock.sleepUntil(end + 5 * 60_000);
        emulator.setFaults(undefined);
        return broker.getFills();
      });
      const faults = emulator.requests().filter((r) => r.fault !== undefined);
      assert.ok(faults.length >= 10, `seed ${seed}: faults served: ${faults.length}`);
      for (const r of faults) kinds.add(`${r.method} ${r.path} ${r.fault}`);
      assertCreatedOnce(emulator);
      assertFillIsFold(emulator, fills, buy.id);
      assertFillIsFold(emulator, fills, sell.id, "ETHUSDT");
      assert.equal(fills.length, 2, `seed ${seed}`);
      assert.deepEqual(emulator.engine.openOrders(), [], "no child left resting");
    }, {
      broker: {
        passivityFactor: 1,
        retry: { maxRetries: 12, baseDelayMs: 100, maxDelayMs: 2_000 },
      },
    });
  }
  for (const k of ["POST /api/v3/order drop_after", "DELETE /api/v3/order drop_after"]) {
    assert.ok(kinds.has(k), `${k} was exercised (${[...kinds].join("; ")})`);
  }
});

Deno.test("CcxtBroker: an exchange down at the parent's end delays its fill; past settleTimeoutMs the broker fails", async () => {
  const down = { rate: 1, kinds: ["5xx" as const], endpoints: ["/api/v3/myTrades"] };
  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const order = _parent(orderIds, { shares: 3, start: START, end: END });
    const [early, late] = await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      await clock.sleepUntil(START + 200_000);
      emulator.setFaults(down);
      await clock.sleepUntil(END + 30_000);
      const early = broker.getFills();
      await clock.sleepUntil(END + 90_000);
      emulator.setFaults(undefined);
      await clock.sleepUntil(END + 5 * 60_000);
      return [early, broker.getFills()];
    });
    assert.deepEqual(early, [], "not confirmed while the exchange is down");
    assertCreatedOnce(emulator);
    assertFillIsFold(emulator, late!, order.id);
    // Wave 3's trades could not be listed at wave 4, so wave 4 was skipped (no child is placed
    // while the previous one is unconfirmed): 4 waves of 0.6 filled.
    assert.ok(Math.abs(late![0]!.shares - 2.4) < 1e-12);
    assert.equal(order.state, "cancelled");
    assert.equal(broker.stats.skippedWaves, 1);
  }, {
    broker: {
      passivityFactor: 0,
      quantityMode: "static",
      retry: { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 2_000 },
    },
  });

  await _withVenue(async ({ clock, broker, emulator, orderIds }) => {
    const order = _parent(orderIds, { shares: 3, start: START, end: END });
    await clock.run(async () => {
      await broker.submitOrders([order], { wallTime: START });
      await clock.sleepUntil(START + 200_000);
      emulator.setFaults(down);
      await clock.sleepUntil(END + 5 * 60_000);
      emulator.setFaults(undefined);
    });
    assert.throws(
      () => broker.getFills(),
      (e: unknown) =>
        e instanceof BrokerError &&
        /cannot confirm child order\(s\) t1-0-3 of parent order 0/.test(e.message),
    );
    assert.equal(order.state, "partially_filled", "left as it was: its fills are unknown");
  }, {
    broker: {
      passivityFactor: 0,
      quantityMode: "static",
      settleTimeoutMs: 120_000,
      retry: { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 2_000 },
    },
  });
});

Deno.test("CcxtBroker logs every request under broker/ and never writes the API key or secret", async () => {
  await _withVenue(async ({ clock, broker, emulator, orderIds, runDir }) => {
    emulator.failNext("/api/v3/order", "5xx", { method: "POST" });
    emulator.failNext("/api/v3/order", "reject", { method: "POST" });
    const a = _parent(orderIds, { shares: 1, start: START, end: END });
    const b = _parent(orderIds, { shares: 1, start: START, end: END, symbol: _ETH });
    await clock.run(async () => {
      await broker.submitOrders([a, b], { wallTime: START });
      await clock.sleepUntil(END + 1_000);
    });
    broker.log.close();
    const dir = join(runDir, "broker");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "ccxt_trades.jsonl",
      "exchange_requests.jsonl",
      "oms_child_orders.jsonl",
      "oms_fills.jsonl",
      "oms_parent_orders.jsonl",
    ]);
    let requests = 0;
    for (const name of names) {
      const text = Deno.readTextFileSync(join(dir, name));
      assert.ok(!text.includes(emulator.apiKey), `${name} holds the API key`);
      assert.ok(!text.includes(emulator.secret), `${name} holds the secret`);
      assert.ok(!/signature=[0-9a-f]{8}/.test(text), `${name} holds a signature`);
      for (const line of text.split("\n").filter((l) => l !== "")) JSON.parse(line);
      if (name === "exchange_requests.jsonl") requests = text.split("\n").length - 1;
    }
    assert.ok(requests >= broker.stats.requests, "one line per exchange call at least");
  }, { broker: { passivityFactor: 0 } });
});

Deno.test("CcxtBroker runs its waves on the RealClock (detached background task)", async () => {
  const clock = new RealClock();
  const filters = { tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 5 };
  const emulator = await startExchangeEmulator(_venueBars(_flatVenueBars(10)), {
    clock,
    halfSpreadBps: 10,
    filters: { BTCUSDT: filters, ETHUSDT: filters },
  });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    const broker = await CcxtBroker.create(exchange, {
      clock,
      runId: "rt",
      symbols: ["BTC/USDT"],
      passivityFactor: 0,
      quantityMode: "static",
      executionFreqMs: 100,
      minWaveRemainingMs: 20,
    });
    const now = clock.now();
    const order = _parent(new IdCounter(), { shares: 1, start: now, end: now + 500 });
    await broker.submitOrders([order], { wallTime: now });
    await broker.waitUntilIdle();
    const fills = broker.getFills();
    const orders = _emulatorOrders(emulator);
    assert.equal(orders.length, 5, "five waves of 0.2");
    assert.ok(orders.every((o) => o.clientOrderId.startsWith("rt-0-") && o.origQty === 0.2));
    assert.equal(order.state, "filled");
    assert.equal(fills.length, 1);
    assert.ok(Math.abs(fills[0]!.shares - 1) < 1e-12);
    assertFillIsFold(emulator, fills, order.id, "BTCUSDT", "rt");
  } finally {
    await emulator.close();
  }
});
