import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors/mod.ts";
import type { PortfolioBarRecord } from "../oms/mod.ts";
import { SqliteOmsDatabase } from "../oms/db/mod.ts";
import { DeferredDbPortfolioStore } from "./deferred_db_portfolio_store.ts";

function record(t: number, cash: number): PortfolioBarRecord {
  return {
    statistics: {
      timestamp: t,
      pnl: 1,
      grossVolume: 0,
      netVolume: 0,
      gmv: 5,
      nmv: 5,
      fees: 0,
      cash,
      netWealth: cash + 5,
      leverage: NaN,
      numTrades: 0,
    },
    assets: [{
      timestamp: t,
      assetId: 7,
      holdingsShares: 1,
      holdingsNotional: 5,
      executedTradesShares: 0,
      executedTradesNotional: 0,
      fees: 0,
      pnl: 1,
      price: 5,
    }],
    state: { timestamp: t, cash, positions: [{ assetId: 7, shares: 1, mark: 5 }] },
  };
}

Deno.test("DeferredDbPortfolioStore holds bars until they are written, and reads see them either way", async () => {
  const dir = await Deno.makeTempDir();
  const db = await SqliteOmsDatabase.open(join(dir, "oms.sqlite"));
  try {
    const store = new DeferredDbPortfolioStore(db, "r");
    assert.equal(await store.loadState(), undefined);
    await store.appendBar(record(1_000, 10));
    await store.appendBar(record(2_000, 20));
    await assert.rejects(store.appendBar(record(2_000, 30)), UsageError);
    assert.equal(store.pendingBars, 2);
    assert.equal((await db.readPortfolioStatistics("r")).length, 0);
    assert.deepEqual((await store.readStatistics()).map((s) => s.cash), [10, 20]);
    // The caller writes what it takes, in its own transaction.
    const taken = store.takePending();
    await db.transaction(async (tx) => {
      for (const r of taken) await tx.appendPortfolioBar("r", r);
    });
    await store.appendBar(record(3_000, 30));
    await store.flush();
    assert.equal(store.pendingBars, 0);
    assert.deepEqual(
      await store.readStatistics(),
      [1_000, 2_000, 3_000].map((t, i) => record(t, 10 * (i + 1)).statistics),
    );
    assert.deepEqual(
      await store.readAssetRows(),
      [1_000, 2_000, 3_000].map((t) => record(t, 0).assets[0]),
    );
    assert.deepEqual(await store.loadState(), record(3_000, 30).state);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
