import assert from "node:assert/strict";
import { UsageError } from "../../errors/mod.ts";
import { ReplayedClock } from "../../sim/replayed_clock.ts";
import { IdCounter } from "../id_counter.ts";
import { Order } from "../order.ts";
import { _testBothBackends } from "./_pg_test_helper.ts";
import {
  _ASSETS,
  _BAR,
  _MARK_BARS,
  _ORDER_BARS,
  _runScenario,
  _scenarioBars,
  _T0,
} from "./_test_scenario.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { OrderProcessor } from "./order_processor.ts";
import { submitOrderBatch, waitForAcceptance } from "./submit_order_batch.ts";
import { SqliteOmsDatabase } from "./sqlite_oms_database.ts";

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

function putRun(db: OmsDatabase, id: string, t: number): Promise<void> {
  return db.putRun({
    id,
    mode: "simulate",
    strategy: "s",
    configHash: "h",
    start: t,
    end: null,
    status: "running",
    createdAt: t,
    updatedAt: t,
  });
}

function order(ids: IdCounter, t: number, assetId: number, diff: number, end = t + 300_000): Order {
  return Order.create(ids, {
    creationTimestamp: t,
    assetId,
    type: "next_open",
    startTimestamp: t,
    endTimestamp: end,
    currentShares: 0,
    diffShares: diff,
  });
}

_testBothBackends(
  "OrderProcessor with a SimulatedBroker accepts batches, records fills and positions",
  async ({ open }) => {
    await withDb(open, async (db) => {
      const { summary, holdings } = await _runScenario(db, "run1");
      assert.equal(summary.stoppedBy, "run_ended");
      assert.equal(summary.accepted, _ORDER_BARS + 1); // + the empty batch
      assert.equal(summary.rejected, 1);
      assert.equal(summary.fillsRecorded, _ORDER_BARS * _ASSETS.length);

      const accepted = await db.listAcceptedOrders("run1");
      assert.deepEqual(accepted.map((a) => [a.targetListId, a.success, a.targetCount]), [
        [1, true, 2],
        [2, true, 2],
        [3, true, 2],
        [4, true, 2],
        [5, true, 0],
        [6, false, 0],
      ]);
      assert.match(accepted[5]!.reason, /unparsable.*line 1/);
      // Accepted after the delay, at the processor's first pass after it.
      const submitted = await db.listSubmittedOrders("run1");
      for (const a of accepted) {
        const s = submitted.find((r) => r.filename === a.filename)!;
        assert.ok(a.timestampProcessed >= s.timestampDb + 1_000);
        assert.ok(a.timestampProcessed < s.timestampDb + 1_000 + 15_000);
        assert.equal(a.strategyId, "scenario");
        assert.equal(a.tradeDate, "2025-01-06");
      }

      // Every order filled once, at the open of the bar after its decision bar, stamped at its end.
      const { rows } = _scenarioBars();
      const orders = await db.listOrders("run1");
      const fills = await db.listFills("run1");
      assert.equal(orders.length, _ORDER_BARS * _ASSETS.length);
      for (const o of orders) {
        assert.equal(o.state, "filled");
        const own = fills.filter((f) => f.orderId === o.orderId);
        assert.equal(own.length, 1);
        const f = own[0]!;
        assert.equal(f.shares, o.diffShares);
        assert.equal(o.filledShares, o.diffShares);
        assert.equal(f.timestamp, o.end);
        const bar = rows.find((r) => r.t === o.end && r.id === o.assetId)!;
        assert.equal(f.price, bar.o);
        assert.equal(f.fee, Math.abs(f.shares * f.price) * 7 / 1e4);
        assert.equal(Order.fromString(o.orderTxt).id, o.orderId);
      }

      // Positions: Σ fills per asset, the same as the system portfolio's holdings.
      const positions = await db.listPositions("run1");
      assert.deepEqual(positions.map((p) => p.assetId), [..._ASSETS]);
      for (const p of positions) {
        let sum = 0;
        let cost = 0;
        for (const f of fills) {
          if (f.assetId !== p.assetId) continue;
          sum += f.shares;
          cost += f.shares * f.price;
        }
        assert.equal(p.currentPosition, sum);
        assert.equal(p.currentPosition, holdings.get(p.assetId));
        assert.equal(p.targetPosition, p.currentPosition);
        assert.equal(p.openQuantity, 0);
        assert.equal(p.netCost, cost);
        assert.equal(p.bodPosition, 0);
        assert.ok(Number.isNaN(p.bodPrice));
        assert.equal(p.account, "main");
      }
      const stats = await db.readPortfolioStatistics("run1");
      assert.deepEqual(stats.map((s) => s.timestamp), [
        ...Array.from({ length: _MARK_BARS }, (_, k) => _T0 + (k + 1) * _BAR),
      ]);
      assert.ok(stats.some((s) => s.numTrades === 2));
    });
  },
);

_testBothBackends(
  "OrderProcessor in table mode follows fills written by others",
  async ({ open }) => {
    await withDb(open, async (db) => {
      const t = _T0;
      const clock = new ReplayedClock(t);
      await putRun(db, "r", t);
      const ids = new IdCounter(10);
      const a = order(ids, t, 8968126878, 3);
      const b = order(ids, t, 5, -0.5);
      const c = order(ids, t, 5, 2, t + 600_000);
      const filename = await submitOrderBatch(db, [a, b, c], { runId: "r", timestampDb: t });
      const processor = new OrderProcessor(db, { clock, runId: "r", fillTimeoutMs: 60_000 });
      assert.equal(processor.fillSource, "table");

      let pass = await processor.runOnce();
      assert.deepEqual(pass.accepted, [filename]);
      assert.equal(pass.positionsRewritten, true);
      assert.deepEqual((await db.listOrders("r")).map((o) => o.state), [
        "accepted",
        "accepted",
        "accepted",
      ]);
      let pos = await db.listPositions("r");
      assert.deepEqual(
        pos.map((p) => [p.assetId, p.targetPosition, p.currentPosition, p.openQuantity]),
        [
          [5, 2, 0, 1.5],
          [8968126878, 3, 0, 3],
        ],
      );

      // Part of a, all of b.
      await db.insertFills([
        {
          runId: "r",
          fillId: 0,
          orderId: 10,
          assetId: 8968126878,
          timestamp: t + 1,
          shares: 1,
          price: 2,
          fee: 0,
        },
        {
          runId: "r",
          fillId: 1,
          orderId: 11,
          assetId: 5,
          timestamp: t + 2,
          shares: -0.5,
          price: 4,
          fee: 0.1,
        },
      ]);
      await clock.advanceTo(t + 1_000);
      pass = await processor.runOnce();
      assert.equal(pass.ordersUpdated, 2);
      assert.deepEqual(
        (await db.listOrders("r")).map((o) => [o.orderId, o.state, o.filledShares]),
        [[10, "partially_filled", 1], [11, "filled", -0.5], [12, "accepted", 0]],
      );
      // Nothing new: nothing written.
      pass = await processor.runOnce();
      assert.equal(pass.ordersUpdated, 0);
      assert.equal(pass.positionsRewritten, false);

      // The rest of a; c times out 60 s after its end and is cancelled.
      await db.insertFills([
        {
          runId: "r",
          fillId: 2,
          orderId: 10,
          assetId: 8968126878,
          timestamp: t + 3,
          shares: 2,
          price: 2.5,
          fee: 0,
        },
      ]);
      await clock.advanceTo(t + 660_000);
      pass = await processor.runOnce();
      assert.deepEqual(
        (await db.listOrders("r")).map((o) => [o.orderId, o.state, o.filledShares, o.updatedAt]),
        [[10, "filled", 3, t + 660_000], [11, "filled", -0.5, t + 1_000], [
          12,
          "cancelled",
          0,
          t + 660_000,
        ]],
      );
      pos = await db.listPositions("r");
      assert.deepEqual(
        pos.map((p) => [p.assetId, p.targetPosition, p.currentPosition, p.openQuantity, p.netCost]),
        [
          [5, 0, -0.5, 0, -2],
          [8968126878, 3, 3, 0, 1 * 2 + 2 * 2.5],
        ],
      );
    });
  },
);

_testBothBackends("OrderProcessor rejects a batch that reuses an order id", async ({ open }) => {
  await withDb(open, async (db) => {
    const clock = new ReplayedClock(_T0);
    await putRun(db, "r", _T0);
    const ids = new IdCounter();
    const first = order(ids, _T0, 1, 1);
    await submitOrderBatch(db, [first], { runId: "r", timestampDb: _T0, filename: "a" });
    const again = new Order({ ...first.toFields(), state: "submitted" });
    const other = order(ids, _T0, 2, 1);
    await submitOrderBatch(db, [other, other], { runId: "r", timestampDb: _T0, filename: "b" });
    await submitOrderBatch(db, [again], { runId: "r", timestampDb: _T0, filename: "c" });
    const processor = new OrderProcessor(db, { clock, runId: "r" });
    const pass = await processor.runOnce();
    assert.deepEqual(pass.accepted, ["a"]);
    assert.deepEqual(pass.rejected, ["b", "c"]);
    const rows = await db.listAcceptedOrders("r");
    assert.match(rows[1]!.reason, /order id 1 repeats/);
    assert.match(rows[2]!.reason, /order id 0 was already used in batch a/);
    assert.equal((await db.listOrders("r")).length, 1);
  });
});

Deno.test("OrderProcessor waits acceptDelayMs and checks its options", async () => {
  const db = await SqliteOmsDatabase.open(":memory:");
  try {
    const clock = new ReplayedClock(_T0);
    await putRun(db, "r", _T0);
    const ids = new IdCounter();
    await submitOrderBatch(db, [order(ids, _T0, 1, 1)], {
      runId: "r",
      timestampDb: _T0,
      filename: "x",
    });
    const processor = new OrderProcessor(db, {
      clock,
      runId: "r",
      acceptDelayMs: 5_000,
      pollMs: 2_000,
    });
    const summary = await clock.run(async () => {
      const processing = clock.spawn(() => processor.run({ until: _T0 + 10_000 }));
      const row = await waitForAcceptance(db, { runId: "r", filename: "x" }, {
        clock,
        pollMs: 500,
      });
      assert.equal(row.timestampProcessed, _T0 + 6_000); // first pass at or after T0 + 5 s
      return await clock.waitFor(processing);
    });
    assert.equal(summary.stoppedBy, "until");
    assert.equal(summary.passes, 6); // T0, +2, +4, +6, +8, +10 s
    assert.throws(() => new OrderProcessor(db, { clock, runId: "r", pollMs: 0 }), UsageError);
    assert.throws(
      () => new OrderProcessor(db, { clock, runId: "r", fillSource: "broker" }),
      /needs a broker/,
    );
    // A run not created yet: the pass does nothing (the processor may start first).
    const idle = await new OrderProcessor(db, { clock, runId: "nope" }).runOnce();
    assert.deepEqual([idle.accepted, idle.rejected, idle.positionsRewritten], [[], [], false]);
  } finally {
    await db.close();
  }
});

Deno.test("OrderProcessor.run() stops on its abort signal", async () => {
  const db = await SqliteOmsDatabase.open(":memory:");
  try {
    const clock = new ReplayedClock(_T0);
    await putRun(db, "r", _T0);
    const processor = new OrderProcessor(db, { clock, runId: "r", pollMs: 1_000 });
    const controller = new AbortController();
    const summary = await clock.run(async () => {
      const processing = clock.spawn(() => processor.run({ signal: controller.signal }));
      await clock.sleepUntil(_T0 + 3_500);
      controller.abort();
      return await clock.waitFor(processing);
    });
    assert.equal(summary.stoppedBy, "signal");
    assert.equal(summary.passes, 4);
  } finally {
    await db.close();
  }
});

Deno.test("waitForAcceptance() times out when no processor answers", async () => {
  const db = await SqliteOmsDatabase.open(":memory:");
  try {
    const clock = new ReplayedClock(_T0);
    await putRun(db, "r", _T0);
    await submitOrderBatch(db, [], { runId: "r", timestampDb: _T0, filename: "x" });
    await assert.rejects(
      clock.run(() =>
        waitForAcceptance(db, { runId: "r", filename: "x" }, { clock, timeoutMs: 5_000 })
      ),
      /No OrderProcessor accepted batch x of run r/,
    );
    assert.equal(clock.now(), _T0 + 5_000);
  } finally {
    await db.close();
  }
});
