import assert from "node:assert/strict";
import { join } from "node:path";
import type { Order, ProcessForecastsBar } from "../oms/mod.ts";
import {
  computeCurrentPositions,
  dumpTables,
  fillToRow,
  type OmsDatabase,
  ordersFromText,
  SqliteOmsDatabase,
} from "../oms/db/mod.ts";
import { OmsDatabaseError } from "../oms/db/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { _testSystem } from "./_test_system.ts";
import { DeferredDbPortfolioStore } from "./deferred_db_portfolio_store.ts";
import { OmsCommitWorker } from "./oms_commit_worker.ts";
import { OmsRecorder } from "./oms_recorder.ts";

const RUN = "run-1";

async function withDb(fn: (db: OmsDatabase, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "oms.sqlite");
  const db = await SqliteOmsDatabase.open(path);
  try {
    await db.putRun({
      id: RUN,
      mode: "simulate",
      strategy: "sma_cross",
      configHash: "h",
      start: 0,
      end: null,
      status: "running",
      createdAt: 0,
      updatedAt: 0,
    });
    await fn(db, path);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Replays the test system, recording every bar; `check` runs after each recorded bar. */
async function replay(
  db: OmsDatabase,
  commitEveryBars: number,
  check?: (bar: ProcessForecastsBar) => Promise<void>,
  worker?: OmsCommitWorker,
): Promise<ProcessForecastsBar[]> {
  const store = new DeferredDbPortfolioStore(db, RUN);
  const recorder = new OmsRecorder(db, {
    runId: RUN,
    strategyId: "sma_cross",
    portfolioStore: store,
    commitEveryBars,
    worker,
  });
  const bars: ProcessForecastsBar[] = [];
  const t = await _testSystem({
    store,
    onBar: async (bar) => {
      bars.push(bar.oms);
      await recorder.recordBar(bar.oms);
      await check?.(bar.oms);
    },
  });
  await t.system.run({ runTasks: (main) => t.clock.run(main) });
  await recorder.flush();
  assert.equal(store.pendingBars, 0);
  return bars;
}

/** The tables of a replay committed at every bar, inline (what the other ways must write). */
async function referenceTables(): Promise<unknown> {
  let tables: unknown;
  await withDb(async (db) => {
    await replay(db, 1);
    tables = await dumpTables(db, RUN);
  });
  return tables;
}

Deno.test("OmsRecorder writes orders, fills, positions and the portfolio of every bar", async () => {
  await withDb(async (db) => {
    let lastChange: number | undefined;
    const bars = await replay(db, 1, async (bar) => {
      if (bar.orders.length > 0 || bar.fills.length > 0) lastChange = bar.wallTime;
      // Committed at every bar: the positions are computeCurrentPositions' of the whole run.
      if (lastChange === undefined) return;
      const expected = computeCurrentPositions(
        await db.listOrders(RUN),
        await db.listFills(RUN),
        { runId: RUN, strategyId: "sma_cross", account: "main", now: lastChange },
      );
      assert.deepEqual(await db.listPositions(RUN), expected);
    });
    const tables = await dumpTables(db, RUN);
    const orders: Order[] = bars.flatMap((b) => b.orders);
    const fills = bars.flatMap((b) => b.fills);
    assert.ok(orders.length > 50 && fills.length > 10);
    assert.deepEqual(tables.orders.map((o) => o.orderId), orders.map((o) => o.id));
    // Final states and filled shares as the broker left them.
    tables.orders.forEach((row, i) => {
      const order = orders[i] as Order;
      assert.equal(row.state, order.state, `order ${order.id}`);
      const filled = fills.filter((f) => f.orderId === order.id).reduce((s, f) => s + f.shares, 0);
      assert.equal(row.filledShares, filled);
    });
    assert.deepEqual(tables.fills, fills.map((f) => fillToRow(f, RUN)));
    // One submitted batch per bar with orders, holding the orders as submitted.
    const batches = bars.filter((b) => b.orders.length > 0);
    assert.equal(tables.submittedOrders.length, batches.length);
    assert.deepEqual(
      tables.acceptedOrders.map((a) => a.targetListId),
      batches.map((_, i) => i + 1),
    );
    const parsed = ordersFromText(tables.submittedOrders[0]?.ordersAsTxt ?? "");
    assert.deepEqual(
      parsed.map((o) => [o.id, o.state]),
      batches[0]?.orders.map((o) => [o.id, "submitted"]),
    );
    assert.deepEqual(
      tables.portfolioStatistics,
      bars.map((b) => b.portfolio.statistics),
    );
    assert.deepEqual(tables.portfolioState, bars[bars.length - 1]?.portfolio.state);
  });
});

Deno.test("OmsRecorder: committing every 7 bars writes the same tables as every bar", async () => {
  const one = await referenceTables();
  await withDb(async (db) => {
    const committedAt: number[] = [];
    await replay(db, 7, async () => {
      committedAt.push((await db.readPortfolioStatistics(RUN)).length);
    });
    // Nothing is visible before the 7th bar; then 7 bars at a time.
    assert.deepEqual(committedAt.slice(0, 8), [0, 0, 0, 0, 0, 0, 7, 7]);
    assert.deepEqual(await dumpTables(db, RUN), one);
  });
});

Deno.test("OmsRecorder with an OmsCommitWorker writes the same tables, a commit behind at most", async () => {
  const one = await referenceTables();
  for (const every of [1, 7]) {
    await withDb(async (db, path) => {
      const worker = await OmsCommitWorker.open(path);
      try {
        let bars = 0;
        await replay(db, every, async () => {
          bars += 1;
          const committed = (await db.readPortfolioStatistics(RUN)).length;
          // The commits before the one in flight are done; the one in flight may be too.
          const due = Math.floor(bars / every) * every;
          assert.ok(committed === due || committed === due - every, `${committed} of ${bars}`);
        }, worker);
        assert.deepEqual(await dumpTables(db, RUN), one, `every ${every}`);
      } finally {
        await worker.close();
      }
    });
  }
});

Deno.test("OmsRecorder with an OmsCommitWorker: a failed commit fails the next record or flush", async () => {
  await withDb(async (db, path) => {
    const worker = await OmsCommitWorker.open(path);
    try {
      // A run the database does not hold: its orders break the foreign key to runs.
      const recorder = new OmsRecorder(db, { runId: "no-such-run", strategyId: "s", worker });
      let failed: unknown;
      const t = await _testSystem({
        onBar: async (bar) => {
          if (failed !== undefined) return;
          try {
            await recorder.recordBar(bar.oms);
          } catch (error) {
            failed = error;
          }
        },
      });
      await t.system.run({ runTasks: (main) => t.clock.run(main) });
      if (failed === undefined) await recorder.flush().catch((error) => failed = error);
      assert.ok(failed instanceof OmsDatabaseError, String(failed));
      assert.match((failed as Error).message, /FOREIGN KEY/i);
    } finally {
      await worker.close();
    }
    await assert.rejects(
      worker.commit({ runId: RUN, account: "main", bars: [], portfolio: [], positions: undefined }),
      /closed/,
    );
  });
  // A database that cannot be opened (its directory would be a file): open rejects.
  const file = await Deno.makeTempFile();
  try {
    await assert.rejects(OmsCommitWorker.open(join(file, "oms.sqlite")), OmsDatabaseError);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("OmsRecorder rejects a bad commitEveryBars", async () => {
  await withDb((db) => {
    assert.throws(
      () => new OmsRecorder(db, { runId: RUN, strategyId: "s", commitEveryBars: 0 }),
      UsageError,
    );
    return Promise.resolve();
  });
});

Deno.test("OmsRecorder({resume}) continues a run from the database: the same tables as one recorder", async () => {
  const one = await referenceTables();
  await withDb(async (db) => {
    const store = new DeferredDbPortfolioStore(db, RUN);
    const options = { runId: RUN, strategyId: "sma_cross", portfolioStore: store };
    let recorder = new OmsRecorder(db, options);
    const seen: Order[] = [];
    let index = 0;
    const t = await _testSystem({
      store,
      onBar: async (bar) => {
        if (++index === 40) {
          // A restart: a new recorder over what the database holds.
          await recorder.flush();
          const open = seen.filter((o) => o.state === "accepted" || o.state === "partially_filled");
          recorder = new OmsRecorder(db, {
            ...options,
            resume: {
              orders: await db.listOrders(RUN),
              fills: await db.listFills(RUN),
              open,
              batches: (await db.listAcceptedOrders(RUN)).length,
              now: bar.oms.wallTime,
            },
          });
        }
        seen.push(...bar.oms.orders);
        await recorder.recordBar(bar.oms);
      },
    });
    await t.system.run({ runTasks: (main) => t.clock.run(main) });
    await recorder.flush();
    assert.deepEqual(await dumpTables(db, RUN), one);
  });
});
