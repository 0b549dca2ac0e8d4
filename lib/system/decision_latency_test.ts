import assert from "node:assert/strict";
import type { Broker, Fill, Order } from "../oms/mod.ts";
import type { MarketData } from "../sim/mod.ts";
import { DecisionLatency } from "./decision_latency.ts";

Deno.test("DecisionLatency measures bar known → orders submitted, once per bar", async () => {
  let now = 0;
  const meter = new DecisionLatency(() => now);
  const md = meter.wrapMarketData({
    clock: { now: () => 0, sleepUntil: () => Promise.resolve() },
    barMs: 60_000,
    waitForLatestData: () => Promise.resolve(),
  } as unknown as MarketData);
  const inner: Broker = {
    submitOrders: () => {
      now += 7;
      return Promise.resolve();
    },
    getFills: (): Fill[] => [],
    openOrders: (): Order[] => [],
  };
  const broker = meter.wrapBroker(inner);
  assert.equal(meter.summary(), undefined);
  for (const [bar, work] of [[60_000, 3], [120_000, 13], [180_000, 1]] as const) {
    now += 1_000;
    await md.waitForLatestData(bar);
    now += work;
    await md.waitForLatestData(bar); // the second wait of the same bar does not count
    await broker.submitOrders([], { wallTime: bar });
  }
  assert.deepEqual(meter.values(), [10, 20, 8]);
  assert.deepEqual(meter.summary(), { bars: 3, p50_ms: 10, p99_ms: 19.8, max_ms: 20 });
});
