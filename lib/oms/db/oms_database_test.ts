import assert from "node:assert/strict";
import { _testBothBackends } from "./_pg_test_helper.ts";
import { OMS_SCHEMA_VERSION } from "./_migrations.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { OmsDatabaseError } from "./oms_database_error.ts";
import type { AcceptedOrdersRow, FillRow, OrderRow, PositionRow, RunRow } from "./oms_rows.ts";

/** Doubles that must come back bit for bit (NaN as NaN). */
const DOUBLES = [
  0.1 + 0.2,
  1 / 3,
  -2 / 3,
  5e-324,
  1.7976931348623157e308,
  -1e-300,
  123456789.12345678,
  2 ** 53 + 2,
  Infinity,
  -Infinity,
  NaN,
];
const BIG_ASSET = 8968126878;
const T0 = Date.UTC(2025, 0, 6, 0, 5);

function run(id: string, overrides: Partial<RunRow> = {}): RunRow {
  return {
    id,
    mode: "simulate",
    strategy: "sma_cross",
    configHash: "abc123",
    start: T0,
    end: T0 + 86_400_000,
    status: "running",
    createdAt: T0 - 1000,
    updatedAt: T0 - 1000,
    ...overrides,
  };
}

function accepted(runId: string, filename: string, id: number): AcceptedOrdersRow {
  return {
    runId,
    filename,
    strategyId: "sma_cross",
    targetListId: id,
    tradeDate: "2025-01-06",
    instanceId: 0,
    timestampProcessed: T0 + id,
    timestampDb: T0 + id,
    targetCount: 2,
    changedCount: 2,
    unchangedCount: 0,
    cancelCount: 0,
    success: true,
    reason: "",
  };
}

function order(runId: string, filename: string, orderId: number, diff: number): OrderRow {
  return {
    runId,
    orderId,
    filename,
    assetId: BIG_ASSET,
    type: "price@end",
    creationTime: T0,
    start: T0,
    end: T0 + 300_000,
    currShares: 1 / 3,
    diffShares: diff,
    limitPrice: NaN,
    targetWeight: NaN,
    state: "accepted",
    filledShares: 0,
    orderTxt: `Order ${orderId}`,
    updatedAt: T0,
  };
}

async function withDb(
  open: () => Promise<OmsDatabase>,
  fn: (db: OmsDatabase) => Promise<void>,
): Promise<void> {
  const db = await open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

_testBothBackends("OmsDatabase open() migrates once and is idempotent", async ({ open }) => {
  await withDb(open, async (db) => {
    assert.deepEqual(await db.schemaVersions(), [1, 2]);
    assert.equal(OMS_SCHEMA_VERSION, 2);
    await db.putRun(run("r1"));
  });
  // Opening again applies nothing and keeps the data.
  await withDb(open, async (db) => {
    assert.deepEqual(await db.schemaVersions(), [1, 2]);
    assert.equal((await db.listRuns()).length, 1);
  });
});

_testBothBackends("OmsDatabase runs round-trip and update", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.putRun(run("b", { end: null }));
    await db.putRun(run("a"));
    assert.deepEqual(await db.getRun("b"), run("b", { end: null }));
    assert.equal(await db.getRun("zzz"), undefined);
    await db.updateRun("a", { status: "succeeded", updatedAt: T0 + 5, end: T0 + 7 });
    assert.deepEqual(await db.listRuns(), [
      run("a", { status: "succeeded", updatedAt: T0 + 5, end: T0 + 7 }),
      run("b", { end: null }),
    ]);
    await db.putRun(run("b", { status: "failed" }));
    assert.equal((await db.getRun("b"))?.status, "failed");
    await assert.rejects(
      db.updateRun("nope", { status: "x", updatedAt: T0 }),
      (e: unknown) => e instanceof OmsDatabaseError && /no run with id nope/.test(e.message),
    );
  });
});

_testBothBackends("OmsDatabase submitted and accepted batches", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.putRun(run("r1"));
    await db.putRun(run("r2"));
    await db.insertSubmittedOrders({
      runId: "r1",
      filename: "b2",
      timestampDb: T0 + 2,
      ordersAsTxt: "x\ny",
    });
    await db.insertSubmittedOrders({
      runId: "r1",
      filename: "b1",
      timestampDb: T0 + 1,
      ordersAsTxt: "z",
    });
    await db.insertSubmittedOrders({
      runId: "r2",
      filename: "b1",
      timestampDb: T0 + 1,
      ordersAsTxt: "",
    });
    await assert.rejects(
      db.insertSubmittedOrders({ runId: "r1", filename: "b1", timestampDb: T0, ordersAsTxt: "" }),
      OmsDatabaseError,
    );
    assert.deepEqual((await db.listSubmittedOrders("r1")).map((r) => r.filename), ["b1", "b2"]);
    assert.deepEqual(
      (await db.listUnacceptedSubmissions()).map((r) => `${r.runId}/${r.filename}`),
      ["r1/b1", "r2/b1", "r1/b2"],
    );
    const orders = [order("r1", "b1", 1, 2.5), order("r1", "b1", 2, -1 / 7)];
    assert.equal(await db.acceptOrders(accepted("r1", "b1", 1), orders), true);
    // A second acceptance of the same batch writes nothing.
    assert.equal(await db.acceptOrders(accepted("r1", "b1", 9), []), false);
    assert.deepEqual(await db.listAcceptedOrders("r1"), [accepted("r1", "b1", 1)]);
    assert.deepEqual(
      (await db.listUnacceptedSubmissions("r1")).map((r) => r.filename),
      ["b2"],
    );
    assert.deepEqual(await db.listOrders("r1"), orders);
    const rejected = { ...accepted("r1", "b2", 2), success: false, reason: "bad line 2" };
    assert.equal(await db.acceptOrders(rejected, []), true);
    assert.deepEqual((await db.listAcceptedOrders("r1"))[1], rejected);
    // Accepting a batch that was never submitted violates the foreign key and writes nothing.
    await assert.rejects(db.acceptOrders(accepted("r1", "nope", 3), []), OmsDatabaseError);
  });
});

_testBothBackends("OmsDatabase orders round-trip exact doubles and update", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.putRun(run("r"));
    await db.insertSubmittedOrders({ runId: "r", filename: "b", timestampDb: T0, ordersAsTxt: "" });
    const orders = DOUBLES.map((x, i) => ({
      ...order("r", "b", 100 - i, x),
      currShares: -x,
      limitPrice: x,
      targetWeight: x * 3,
      assetId: BIG_ASSET + i,
    }));
    await db.acceptOrders(accepted("r", "b", 1), orders);
    const back = await db.listOrders("r");
    assert.deepEqual(back, [...orders].sort((a, b) => a.orderId - b.orderId));
    await db.updateOrders("r", [{
      orderId: 100,
      state: "filled",
      filledShares: 0.3,
      updatedAt: T0 + 9,
    }]);
    const filled = await db.listOrders("r", { states: ["filled"] });
    assert.deepEqual(filled.map((o) => [o.orderId, o.state, o.filledShares, o.updatedAt]), [
      [100, "filled", 0.3, T0 + 9],
    ]);
    assert.equal((await db.listOrders("r", { states: ["accepted"], filename: "b" })).length, 10);
    assert.deepEqual(await db.listOrders("r", { states: [] }), []);
    await assert.rejects(
      db.updateOrders("r", [
        { orderId: 99, state: "filled", filledShares: 1, updatedAt: T0 },
        { orderId: 12345, state: "filled", filledShares: 1, updatedAt: T0 },
      ]),
      /no order 12345/,
    );
    // The failed update rolled back the one before it.
    assert.equal((await db.listOrders("r", { states: ["filled"] })).length, 1);
  });
});

_testBothBackends("OmsDatabase fills round-trip, idempotent insert", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.putRun(run("r"));
    const fills: FillRow[] = DOUBLES.map((x, i) => ({
      runId: "r",
      fillId: 20 - i,
      orderId: i % 3,
      assetId: BIG_ASSET,
      timestamp: T0 + i,
      shares: x,
      price: -x,
      fee: x / 7,
    }));
    assert.equal(await db.insertFills(fills), fills.length);
    const sorted = [...fills].sort((a, b) => a.fillId - b.fillId);
    assert.deepEqual(await db.listFills("r"), sorted);
    assert.deepEqual(
      await db.listFills("r", [2, 0]),
      sorted.filter((f) => f.orderId !== 1),
    );
    assert.deepEqual(await db.listFills("r", []), []);
    // Re-inserting identical fills adds nothing; a different fill with a stored id is refused.
    assert.equal(await db.insertFills(fills.slice(0, 3)), 0);
    const changed = { ...fills[0]!, price: 1 };
    await assert.rejects(db.insertFills([changed]), /already stored with other values/);
    assert.deepEqual(await db.listFills("r"), sorted);
  });
});

_testBothBackends("OmsDatabase replacePositions rewrites one account", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.putRun(run("r"));
    const pos = (account: string, assetId: number, x: number): PositionRow => ({
      runId: "r",
      strategyId: "sma_cross",
      account,
      assetId,
      tradeDate: "2025-01-06",
      timestampDb: T0,
      targetPosition: x,
      currentPosition: x / 3,
      openQuantity: x - x / 3,
      netCost: -x * 1.1,
      bodPosition: 0,
      bodPrice: NaN,
    });
    await db.replacePositions("r", "main", [pos("main", BIG_ASSET, 0.1), pos("main", 5, 2)]);
    await db.replacePositions("r", "other", [pos("other", 7, 1)]);
    await db.replacePositions("r", "main", [pos("main", 6, 1 / 3)]);
    assert.deepEqual(await db.listPositions("r"), [pos("main", 6, 1 / 3), pos("other", 7, 1)]);
    await assert.rejects(db.replacePositions("r", "main", [pos("x", 1, 1)]), OmsDatabaseError);
    assert.deepEqual(await db.listPositions("r"), [pos("main", 6, 1 / 3), pos("other", 7, 1)]);
  });
});

_testBothBackends("OmsDatabase transaction() commits or rolls back", async ({ open }) => {
  await withDb(open, async (db) => {
    await db.transaction(async (tx) => {
      await tx.putRun(run("a"));
      await tx.putRun(run("b"));
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.putRun(run("c"));
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual((await db.listRuns()).map((r) => r.id), ["a", "b"]);
  });
});

_testBothBackends("OmsDatabase portfolio bars round-trip and keep time order", async ({ open }) => {
  await withDb(open, async (db) => {
    const bar = (t: number, x: number) => ({
      statistics: {
        timestamp: t,
        pnl: x,
        grossVolume: x * 2,
        netVolume: -x,
        gmv: 1 / 3,
        nmv: x,
        fees: 5e-324,
        cash: 1e6 + x,
        netWealth: 1e6,
        leverage: NaN,
        numTrades: 2,
      },
      assets: [BIG_ASSET, BIG_ASSET + 1].map((assetId) => ({
        timestamp: t,
        assetId,
        holdingsShares: x,
        holdingsNotional: x * 3.3,
        executedTradesShares: -x,
        executedTradesNotional: 0.1 + 0.2,
        fees: 0,
        pnl: x / 7,
        price: NaN,
      })),
      state: {
        timestamp: t,
        cash: 1e6 + x,
        positions: [{ assetId: BIG_ASSET, shares: x, mark: 1 / 3 }],
      },
    });
    assert.equal(await db.loadPortfolioState("p"), undefined);
    const b1 = bar(T0, 0.1);
    const b2 = bar(T0 + 300_000, -2 / 3);
    await db.appendPortfolioBar("p", b1);
    await db.appendPortfolioBar("p", b2);
    await assert.rejects(db.appendPortfolioBar("p", bar(T0 + 300_000, 1)), /not after/);
    assert.deepEqual(await db.loadPortfolioState("p"), b2.state);
    assert.deepEqual(await db.readPortfolioStatistics("p"), [b1.statistics, b2.statistics]);
    assert.deepEqual(await db.readPortfolioAssetRows("p"), [...b1.assets, ...b2.assets]);
    assert.deepEqual(await db.readPortfolioStatistics("other"), []);
  });
});

_testBothBackends(
  "OmsDatabase writes many rows in multi-row statements: every row, exact, in several chunks",
  async ({ open }) => {
    await withDb(open, async (db) => {
      await db.putRun(run("r"));
      await db.insertSubmittedOrders({
        runId: "r",
        filename: "b",
        timestampDb: T0,
        ordersAsTxt: "",
      });
      // 150 orders: three statements of up to 62 rows (16 parameters each).
      const x = (i: number) => DOUBLES[i % DOUBLES.length] as number;
      const orders = Array.from({ length: 150 }, (_, i) => ({
        ...order("r", "b", 1000 + i, x(i)),
        assetId: BIG_ASSET + i,
        targetWeight: x(i + 1),
      }));
      await db.acceptOrders(accepted("r", "b", 1), orders);
      assert.deepEqual(await db.listOrders("r"), orders);

      // Distinct orders: one UPDATE … FROM (VALUES …); NaN filled shares stay NaN.
      const updates = orders.map((o, i) => ({
        orderId: o.orderId,
        state: i % 2 === 0 ? "filled" : "cancelled",
        filledShares: x(i + 2),
        updatedAt: T0 + i,
      }));
      await db.updateOrders("r", updates);
      assert.deepEqual(
        (await db.listOrders("r")).map((o) => [o.orderId, o.state, o.filledShares, o.updatedAt]),
        updates.map((u) => [u.orderId, u.state, u.filledShares, u.updatedAt]),
      );
      // An order updated twice in one call: the last update wins.
      await db.updateOrders("r", [
        { orderId: 1000, state: "cancelled", filledShares: 1, updatedAt: T0 },
        { orderId: 1000, state: "filled", filledShares: 2, updatedAt: T0 + 1 },
      ]);
      const first = (await db.listOrders("r", { orderIds: [1000] }))[0];
      assert.deepEqual([first?.state, first?.filledShares, first?.updatedAt], [
        "filled",
        2,
        T0 + 1,
      ]);
      await assert.rejects(
        db.updateOrders("r", [
          { orderId: 1001, state: "filled", filledShares: 1, updatedAt: T0 },
          { orderId: 77, state: "filled", filledShares: 1, updatedAt: T0 },
          { orderId: 78, state: "filled", filledShares: 1, updatedAt: T0 },
        ]),
        /no order 77 in run r/,
      );

      // 300 fills (three statements); then a mix of stored and new ones.
      const fill = (i: number): FillRow => ({
        runId: "r",
        fillId: i,
        orderId: 1000 + (i % 150),
        assetId: BIG_ASSET + (i % 150),
        timestamp: T0 + i,
        shares: x(i),
        price: x(i + 3),
        fee: x(i + 5),
      });
      const fills = Array.from({ length: 300 }, (_, i) => fill(i));
      assert.equal(await db.insertFills(fills), 300);
      const more = Array.from({ length: 200 }, (_, i) => fill(i + 200));
      assert.equal(await db.insertFills(more), 100);
      assert.deepEqual(await db.listFills("r"), Array.from({ length: 400 }, (_, i) => fill(i)));
      await assert.rejects(
        db.insertFills([fill(400), { ...fill(401), fee: 0.5 }, { ...fill(401), fee: 0.25 }]),
        /fill 401 of run r is already stored with other values/,
      );
      assert.equal((await db.listFills("r")).length, 400);

      // 100 positions (two statements).
      const positions: PositionRow[] = Array.from({ length: 100 }, (_, i) => ({
        runId: "r",
        strategyId: "sma_cross",
        account: "main",
        assetId: i,
        tradeDate: "2025-01-06",
        timestampDb: T0,
        targetPosition: x(i),
        currentPosition: x(i + 1),
        openQuantity: x(i + 2),
        netCost: x(i + 3),
        bodPosition: x(i + 4),
        bodPrice: x(i + 5),
      }));
      await db.replacePositions("r", "main", positions);
      assert.deepEqual(await db.listPositions("r"), positions);

      // A portfolio bar of 120 assets (two statements of asset rows), 300 positions.
      const bar = {
        statistics: {
          timestamp: T0,
          pnl: 1,
          grossVolume: 2,
          netVolume: 3,
          gmv: 4,
          nmv: 5,
          fees: 6,
          cash: 7,
          netWealth: 8,
          leverage: NaN,
          numTrades: 9,
        },
        assets: Array.from({ length: 120 }, (_, i) => ({
          timestamp: T0,
          assetId: i,
          holdingsShares: x(i),
          holdingsNotional: x(i + 1),
          executedTradesShares: x(i + 2),
          executedTradesNotional: x(i + 3),
          fees: x(i + 4),
          pnl: x(i + 5),
          price: x(i + 6),
        })),
        state: {
          timestamp: T0,
          cash: 1 / 3,
          positions: Array.from({ length: 300 }, (_, i) => ({
            assetId: i,
            shares: x(i),
            mark: x(i + 7),
          })),
        },
      };
      await db.appendPortfolioBar("p", bar);
      assert.deepEqual(await db.readPortfolioAssetRows("p"), bar.assets);
      assert.deepEqual(await db.loadPortfolioState("p"), bar.state);
    });
  },
);

_testBothBackends(
  "OmsDatabase portfolio bars in one transaction: every bar's rows, the last bar's state",
  async ({ open }) => {
    await withDb(open, async (db) => {
      const bar = (k: number) => ({
        statistics: {
          timestamp: T0 + k,
          pnl: k / 3,
          grossVolume: 0,
          netVolume: 0,
          gmv: 0,
          nmv: 0,
          fees: 0,
          cash: 100 - k,
          netWealth: 100,
          leverage: 0,
          numTrades: k,
        },
        assets: [1, 2].map((assetId) => ({
          timestamp: T0 + k,
          assetId,
          holdingsShares: k * assetId,
          holdingsNotional: 0,
          executedTradesShares: 0,
          executedTradesNotional: 0,
          fees: 0,
          pnl: 0,
          price: 1 / 3,
        })),
        state: {
          timestamp: T0 + k,
          cash: 100 - k,
          positions: Array.from({ length: k % 3 }, (_, i) => ({
            assetId: i + 1,
            shares: k / 7,
            mark: NaN,
          })),
        },
      });
      await db.transaction(async (tx) => {
        for (let k = 1; k <= 5; k++) await tx.appendPortfolioBar("p", bar(k));
        // Reads inside the transaction see the last bar's state.
        assert.deepEqual(await tx.loadPortfolioState("p"), bar(5).state);
        await tx.transaction(async (inner) => {
          await inner.appendPortfolioBar("p", bar(6));
          await inner.appendPortfolioBar("q", bar(1));
        });
        await tx.appendPortfolioBar("p", bar(7));
      });
      assert.deepEqual(await db.loadPortfolioState("p"), bar(7).state);
      assert.deepEqual(await db.loadPortfolioState("q"), bar(1).state);
      const bars = [1, 2, 3, 4, 5, 6, 7].map(bar);
      assert.deepEqual(await db.readPortfolioStatistics("p"), bars.map((b) => b.statistics));
      assert.deepEqual(await db.readPortfolioAssetRows("p"), bars.flatMap((b) => b.assets));
      // A rolled-back transaction leaves the state as it was.
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.appendPortfolioBar("p", bar(8));
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(await db.loadPortfolioState("p"), bar(7).state);
      // A state with an asset twice is refused at the call, inside a transaction too.
      const twice = bar(9);
      twice.state.positions = [{ assetId: 1, shares: 1, mark: 1 }, {
        assetId: 1,
        shares: 2,
        mark: 1,
      }];
      await assert.rejects(
        db.transaction((tx) => tx.appendPortfolioBar("p", twice)),
        /two positions of asset 1/,
      );
      assert.equal((await db.readPortfolioStatistics("p")).length, 7);
    });
  },
);
