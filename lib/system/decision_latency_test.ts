import assert from "node:assert/strict";
import type { Broker, Fill, Order } from "../oms/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
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

Deno.test("DecisionLatency.wrapMarketData serves getColumns exactly when the wrapped data does", () => {
  const meter = new DecisionLatency(() => 0);
  const base = { clock: { now: () => 0 }, barMs: 60_000 };
  assert.equal(meter.wrapMarketData(base as unknown as MarketData).getColumns, undefined);
  const frame = new ColumnFrame([]);
  const calls: unknown[][] = [];
  const inner = {
    ...base,
    getColumns(...args: unknown[]) {
      calls.push([this === inner, ...args]);
      return frame;
    },
  };
  const md = meter.wrapMarketData(inner as unknown as MarketData);
  assert.equal(md.getColumns?.(1, 2, { assetIds: [3] }), frame);
  assert.deepEqual(calls, [[true, 1, 2, { assetIds: [3] }]], "called on the wrapped data");
});
