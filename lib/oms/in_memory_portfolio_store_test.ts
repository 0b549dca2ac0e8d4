import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { InMemoryPortfolioStore } from "./in_memory_portfolio_store.ts";
import type { PortfolioBarRecord } from "./portfolio_store.ts";

function record(t: number, cash: number): PortfolioBarRecord {
  const statistics = {
    timestamp: t,
    pnl: 1,
    grossVolume: 2,
    netVolume: -2,
    gmv: 3,
    nmv: 3,
    fees: 0.1,
    cash,
    netWealth: cash + 3,
    leverage: NaN,
    numTrades: 1,
  };
  const asset = {
    timestamp: t,
    assetId: 5,
    holdingsShares: 0.1 + 0.2,
    holdingsNotional: 3,
    executedTradesShares: -0,
    executedTradesNotional: 0,
    fees: 0,
    pnl: 1,
    price: NaN,
  };
  return {
    statistics,
    assets: [asset],
    state: { timestamp: t, cash, positions: [{ assetId: 5, shares: 0.1 + 0.2, mark: NaN }] },
  };
}

Deno.test("InMemoryPortfolioStore gives back exactly what was appended, in order", async () => {
  const store = new InMemoryPortfolioStore();
  assert.equal(await store.loadState(), undefined);
  const a = record(1000, 1 / 3);
  await store.appendBar(a);
  await store.appendBar(record(2000, -7));
  assert.deepEqual(await store.readStatistics(), [a.statistics, record(2000, -7).statistics]);
  const rows = await store.readAssetRows();
  assert.equal(rows.length, 2);
  assert.ok(Object.is(rows[0]!.executedTradesShares, -0));
  assert.equal(rows[0]!.holdingsShares, 0.1 + 0.2);
  const state = await store.loadState();
  assert.deepEqual(state, record(2000, -7).state);
  await assert.rejects(() => store.appendBar(record(2000, 0)), UsageError);
  (a.statistics as { pnl: number }).pnl = 99;
  assert.equal((await store.readStatistics())[0]!.pnl, 1, "the store keeps copies");
});
