import assert from "node:assert/strict";
import { type Broker, type Fill, IdCounter, Order, Portfolio } from "../oms/mod.ts";
import type { MarketData } from "../sim/mod.ts";
import { RiskControlledBroker } from "./risk_controlled_broker.ts";
import { RiskControls, type RiskTrip } from "./risk_controls.ts";

const T = Date.UTC(2025, 0, 6, 12);

/** A broker that accepts everything and records what it was given. */
class RecordingBroker implements Broker {
  submitted: number[] = [];
  cancelled: number[] = [];
  #open: Order[] = [];
  submitOrders(orders: readonly Order[]): Promise<void> {
    for (const o of orders) {
      o.transition("accepted");
      this.submitted.push(o.id);
      this.#open.push(o);
    }
    return Promise.resolve();
  }
  getFills(): Fill[] {
    return [];
  }
  cancelOrders(ids: readonly number[]): Promise<void> {
    for (const o of this.#open) {
      if (ids.includes(o.id)) {
        o.transition("cancelled");
        this.cancelled.push(o.id);
      }
    }
    this.#open = this.#open.filter((o) => o.state === "accepted");
    return Promise.resolve();
  }
  openOrders(): Order[] {
    return [...this.#open];
  }
}

function marketData(prices: Map<number, number>): MarketData {
  return {
    assetIds: () => [...prices.keys()],
    lastPrice: (_end: number, options: { assetIds?: readonly number[] } = {}) =>
      new Map([...prices].filter(([id]) => options.assetIds?.includes(id) ?? true)),
  } as unknown as MarketData;
}

function order(ids: IdCounter, assetId: number, diffShares: number): Order {
  return Order.create(ids, {
    creationTimestamp: T,
    assetId,
    type: "twap",
    startTimestamp: T,
    endTimestamp: T + 300_000,
    currentShares: 0,
    diffShares,
  });
}

Deno.test("RiskControlledBroker.submitOrders() submits the allowed orders and rejects the denied ones", async () => {
  const inner = new RecordingBroker();
  const trips: RiskTrip[] = [];
  const broker = new RiskControlledBroker(inner, {
    controls: new RiskControls({ maxOrderNotional: 1_000 }),
    portfolio: new Portfolio({ initialCash: 10_000, assetIds: [1, 2] }),
    marketData: marketData(new Map([[1, 100], [2, 10]])),
    onTrip: (t) => void trips.push(t),
  });
  const ids = new IdCounter();
  const big = order(ids, 1, 20);
  const small = order(ids, 2, 5);
  await broker.submitOrders([big, small], { wallTime: T });
  assert.deepEqual(inner.submitted, [small.id]);
  assert.equal(big.state, "rejected");
  assert.equal(small.state, "accepted");
  assert.deepEqual(trips.map((t) => t.control), ["max_order_notional"]);
});

Deno.test("RiskControlledBroker: a stopping trip cancels the open orders, calls onStop, denies later batches", async () => {
  const inner = new RecordingBroker();
  let exists = false;
  const stops: RiskTrip[] = [];
  const broker = new RiskControlledBroker(inner, {
    controls: new RiskControls({ killSwitchFile: "/kill" }, { fileExists: () => exists }),
    portfolio: new Portfolio({ initialCash: 10_000, assetIds: [1] }),
    marketData: marketData(new Map([[1, 100]])),
    onStop: (t) => void stops.push(t),
  });
  const ids = new IdCounter();
  const first = order(ids, 1, 1);
  await broker.submitOrders([first], { wallTime: T });
  assert.equal(first.state, "accepted");
  exists = true;
  const second = order(ids, 1, 1);
  await broker.submitOrders([second], { wallTime: T + 300_000 });
  assert.equal(second.state, "rejected");
  assert.equal(first.state, "cancelled");
  assert.deepEqual(inner.cancelled, [first.id]);
  assert.equal(stops.length, 1);
  assert.equal(broker.stopped?.control, "kill_switch");
  const third = order(ids, 1, 1);
  await broker.submitOrders([third], { wallTime: T + 600_000 });
  assert.equal(third.state, "rejected");
  assert.equal(stops.length, 1, "onStop is called once");
});
