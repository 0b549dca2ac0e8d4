import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { Fill } from "./fill.ts";
import { IdCounter } from "./id_counter.ts";
import { InMemoryPortfolioStore } from "./in_memory_portfolio_store.ts";
import { Portfolio } from "./portfolio.ts";
import { PortfolioAccounting } from "./portfolio_accounting.ts";
import type { PortfolioBarRecord } from "./portfolio_store.ts";

const T = Date.UTC(2025, 0, 6);
const M = 60_000;

function fill(ids: IdCounter, assetId: number, shares: number, price: number, fee = 0): Fill {
  return Fill.create(ids, { orderId: 0, assetId, timestamp: T, shares, price, fee });
}

Deno.test("Portfolio computes the same numbers as PortfolioAccounting", async () => {
  const ids = new IdCounter();
  const portfolio = new Portfolio({ initialCash: 1000 });
  const acc = new PortfolioAccounting(2, { initialCash: 1000 }); // assets 7 (#0) and 9 (#1)
  // Bar 1: buy 5 of asset 9 at 100.3 (fee 0.5), 0.1 of asset 7 at 30.7; closes 101 and 31.
  portfolio.applyFills([fill(ids, 9, 5, 100.3, 0.5)]);
  portfolio.applyFills([fill(ids, 7, 0.1, 30.7, 0.003)]);
  acc.beginBar();
  acc.tradeWithFee(1, 5, 100.3, 0.5);
  acc.tradeWithFee(0, 0.1, 30.7, 0.003);
  let record = await portfolio.markToMarket(T + M, new Map([[7, 31], [9, 101]]));
  let m = acc.markToMarket([31, 101]);
  const stats = (r: PortfolioBarRecord) => r.statistics;
  assert.deepEqual(stats(record), { timestamp: T + M, ...m });
  assert.deepEqual(portfolio.assetIds(), [7, 9], "ascending asset ids");
  assert.deepEqual(record.assets.map((a) => [a.assetId, a.holdingsShares, a.pnl, a.price]), [
    [7, 0.1, acc.pnl[0], 31],
    [9, 5, acc.pnl[1], 101],
  ]);
  // Bar 2: no fill; asset 7 has no close (keeps its mark).
  record = await portfolio.markToMarket(T + 2 * M, new Map([[9, 99]]));
  acc.beginBar();
  m = acc.markToMarket([NaN, 99]);
  assert.deepEqual(stats(record), { timestamp: T + 2 * M, ...m });
  assert.equal(record.statistics.numTrades, 0);
  assert.equal(portfolio.netWealthAt(new Map([[9, 98]])), acc.netWealthAt([NaN, 98]));
  assert.deepEqual(record.state.positions, [
    { assetId: 7, shares: 0.1, mark: 31 },
    { assetId: 9, shares: 5, mark: 99 },
  ]);
  await assert.rejects(() => portfolio.markToMarket(T + 2 * M, new Map()), UsageError);
});

Deno.test("Portfolio keeps a bar's trades when an asset joins mid-bar, and clears them after", async () => {
  const ids = new IdCounter();
  const portfolio = new Portfolio({ initialCash: 0, assetIds: [5] });
  portfolio.applyFills([fill(ids, 5, 1, 10)]);
  portfolio.applyFills([fill(ids, 2, -2, 20)]); // asset 2 joins, before asset 5
  let r = await portfolio.markToMarket(T + M, new Map([[2, 21], [5, 11]]));
  assert.deepEqual(r.assets.map((a) => [a.assetId, a.executedTradesShares]), [[2, -2], [5, 1]]);
  assert.equal(r.statistics.grossVolume, 50);
  portfolio.addAssets([1]); // between bars
  r = await portfolio.markToMarket(T + 2 * M, new Map([[2, 21], [5, 11]]));
  assert.deepEqual(r.assets.map((a) => a.executedTradesShares), [0, 0, 0]);
  assert.deepEqual([r.statistics.grossVolume, r.statistics.pnl, r.statistics.numTrades], [0, 0, 0]);
  assert.equal(r.statistics.cash, -10 + 40);
});

Deno.test("Portfolio.restore() resumes from its store with identical numbers", async () => {
  const run = async (restartAfter: number | undefined) => {
    const ids = new IdCounter();
    const store = new InMemoryPortfolioStore();
    let portfolio = new Portfolio({ initialCash: 500, store });
    const out: PortfolioBarRecord[] = [];
    for (let k = 1; k <= 6; k++) {
      if (k === restartAfter) portfolio = await Portfolio.restore(store);
      const price = 10 + Math.sin(k) * 3;
      if (k % 2 === 1) portfolio.applyFills([fill(ids, 4, k % 3 === 0 ? -1.5 : 2.25, price, 0.01)]);
      out.push(await portfolio.markToMarket(T + k * M, new Map([[4, price + 0.1]])));
    }
    return out;
  };
  assert.deepEqual(await run(4), await run(undefined));
  const empty = await Portfolio.restore(new InMemoryPortfolioStore(), { initialCash: 3 });
  assert.equal(empty.cash, 3);
});
