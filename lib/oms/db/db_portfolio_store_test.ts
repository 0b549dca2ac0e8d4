import assert from "node:assert/strict";
import { Fill } from "../fill.ts";
import { IdCounter } from "../id_counter.ts";
import { InMemoryPortfolioStore } from "../in_memory_portfolio_store.ts";
import { Portfolio } from "../portfolio.ts";
import type { PortfolioStore } from "../portfolio_store.ts";
import { _random } from "../_test_bars.ts";
import { _testBothBackends } from "./_pg_test_helper.ts";
import { DbPortfolioStore } from "./db_portfolio_store.ts";

const T0 = Date.UTC(2025, 0, 6);
const BAR = 300_000;
const ASSETS = [8968126878, 1467591036, 42];

/** Bars 1..n of fills and marks, from bar `from` on; NaN closes (no bar) on purpose. */
async function drive(portfolio: Portfolio, from: number, to: number): Promise<void> {
  const rand = _random(from);
  const fillIds = new IdCounter(from * 100);
  for (let k = from; k <= to; k++) {
    const t = T0 + k * BAR;
    const fills = ASSETS.filter((_, i) => (k + i) % 2 === 0).map((assetId) =>
      Fill.create(fillIds, {
        orderId: k,
        assetId,
        timestamp: t,
        shares: (rand() - 0.5) * 10,
        price: 1 + rand() * 100,
        fee: rand() / 3,
      })
    );
    portfolio.applyFills(fills);
    const closes = new Map(ASSETS.map((id, i) => [id, (k + i) % 4 === 0 ? NaN : 1 + rand() * 100]));
    await portfolio.markToMarket(t, closes);
  }
}

async function snapshot(store: PortfolioStore) {
  return {
    state: await store.loadState(),
    statistics: await store.readStatistics(),
    assets: await store.readAssetRows(),
  };
}

_testBothBackends(
  "DbPortfolioStore gives the same numbers as the in-memory store",
  async ({ open }) => {
    const db = await open();
    try {
      const memory = new Portfolio({ initialCash: 10_000, store: new InMemoryPortfolioStore() });
      const stored = new Portfolio({ initialCash: 10_000, store: new DbPortfolioStore(db, "r") });
      await drive(memory, 1, 6);
      await drive(stored, 1, 6);
      assert.deepStrictEqual(await snapshot(stored.store), await snapshot(memory.store));
      assert.equal(stored.cash, memory.cash);

      // A portfolio restored from the database continues exactly as the one that never stopped.
      const restored = await Portfolio.restore(new DbPortfolioStore(db, "r"));
      assert.deepStrictEqual(restored.holdingsMap(), memory.holdingsMap());
      await drive(memory, 7, 12);
      await drive(restored, 7, 12);
      assert.deepStrictEqual(await snapshot(restored.store), await snapshot(memory.store));
      const stats = await restored.store.readStatistics();
      assert.equal(stats.length, 12);
      assert.ok(stats.some((s) => Number.isNaN(s.leverage) || s.fees > 0));

      // Another run's store in the same database is separate; out-of-order bars are refused.
      assert.equal(await new DbPortfolioStore(db, "other").loadState(), undefined);
      await assert.rejects(
        restored.store.appendBar({
          statistics: { ...stats[0]! },
          assets: [],
          state: { timestamp: stats[0]!.timestamp, cash: 0, positions: [] },
        }),
        /not after the last stored bar/,
      );
    } finally {
      await db.close();
    }
  },
);
