/**
 * Private test helper: one deterministic OMS session on a database, on a replayed clock. The
 * system side submits a batch of `next_open` orders per bar (and one unparsable batch), reads
 * the fills back from the `fills` table into a `Portfolio` on a `DbPortfolioStore` and marks
 * it every bar; an in-process `OrderProcessor` with a `SimulatedBroker` accepts the batches,
 * executes them and records fills and positions. Running it on SQLite and on PostgreSQL must
 * give identical tables.
 */
import type pl from "nodejs-polars";
import { FrameMarketData } from "../../sim/frame_market_data.ts";
import { ReplayedClock } from "../../sim/replayed_clock.ts";
import { type _BarRow, _bars, _random } from "../_test_bars.ts";
import { IdCounter } from "../id_counter.ts";
import { Order } from "../order.ts";
import { Portfolio } from "../portfolio.ts";
import { SimulatedBroker } from "../simulated_broker.ts";
import { DbPortfolioStore } from "./db_portfolio_store.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { fillFromRow } from "./oms_row_conversions.ts";
import { OrderProcessor, type OrderProcessorRunSummary } from "./order_processor.ts";
import { submitOrderBatch } from "./submit_order_batch.ts";

/** Bar period of the scenario. */
export const _BAR = 300_000;
/** Time 0 of the scenario (bar k ends at T0 + k·BAR). */
export const _T0: number = Date.UTC(2025, 0, 6);
/** The scenario's assets: a real asset id and a big one. */
export const _ASSETS: readonly number[] = [1467591036, 8968126878];
/** Bars with orders (a batch is submitted after each of these bars). */
export const _ORDER_BARS = 4;
/** Bars marked. */
export const _MARK_BARS = 6;

/** The scenario's bars: 10 bars of 2 assets with awkward prices, known 10 s after the end. */
export function _scenarioBars(): { rows: _BarRow[]; frame: pl.DataFrame } {
  const rand = _random(7);
  const rows: _BarRow[] = [];
  for (let k = 1; k <= 10; k++) {
    for (const id of _ASSETS) {
      const base = id === _ASSETS[0] ? 97_000 : 3.3;
      const o = base * (1 + (rand() - 0.5) / 50);
      const c = base * (1 + (rand() - 0.5) / 50);
      rows.push({
        t: _T0 + k * _BAR,
        id,
        o,
        h: Math.max(o, c) * 1.001,
        l: Math.min(o, c) * 0.999,
        c,
      });
    }
  }
  return { rows, frame: _bars(rows, { barMs: _BAR, delayMs: 10_000 }) };
}

/** What the scenario returns besides the tables. */
export interface _ScenarioResult {
  /** The processor's totals. */
  summary: OrderProcessorRunSummary;
  /** The system portfolio's holdings at the end, by asset id. */
  holdings: Map<number, number>;
}

/** Runs the scenario for run `runId` on `db` (see the module documentation). */
export async function _runScenario(db: OmsDatabase, runId: string): Promise<_ScenarioResult> {
  const { rows, frame } = _scenarioBars();
  const clock = new ReplayedClock(_T0 + _BAR + 10_000);
  const md = new FrameMarketData(frame, clock, { barMs: _BAR });
  const broker = new SimulatedBroker(md, { feeBps: 7 });
  const processor = new OrderProcessor(db, {
    clock,
    runId,
    broker,
    pollMs: 15_000,
    acceptDelayMs: 1_000,
  });
  const portfolio = new Portfolio({ initialCash: 10_000, store: new DbPortfolioStore(db, runId) });
  const orderIds = new IdCounter(1);
  const rand = _random(11);
  const summary = await clock.run(async () => {
    await db.putRun({
      id: runId,
      mode: "simulate",
      strategy: "scenario",
      configHash: "c0ffee",
      start: _T0,
      end: _T0 + 10 * _BAR,
      status: "running",
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    const processing = clock.spawn(() => processor.run({ whileRunning: true }));
    let seenFills = 0;
    for (let k = 1; k <= _MARK_BARS; k++) {
      const t = _T0 + k * _BAR;
      await clock.sleepUntil(t + 20_000);
      const fills = (await db.listFills(runId)).filter((f) => f.fillId >= seenFills);
      seenFills += fills.length;
      portfolio.applyFills(fills.map(fillFromRow));
      const closes = new Map(rows.filter((r) => r.t === t).map((r) => [r.id, r.c]));
      await portfolio.markToMarket(t, closes);
      const now = clock.now();
      if (k <= _ORDER_BARS) {
        const orders = _ASSETS.map((assetId) =>
          Order.create(orderIds, {
            creationTimestamp: now,
            assetId,
            type: "next_open",
            startTimestamp: now,
            endTimestamp: t + _BAR,
            currentShares: portfolio.holdings(assetId),
            diffShares: (rand() - 0.5) * (assetId === _ASSETS[0] ? 0.02 : 700),
          })
        );
        await submitOrderBatch(db, orders, { runId, timestampDb: now });
      } else if (k === _ORDER_BARS + 1) {
        await submitOrderBatch(db, [], { runId, timestampDb: now, filename: "empty" });
        await db.insertSubmittedOrders({
          runId,
          filename: "unparsable",
          timestampDb: now,
          ordersAsTxt: "Order: order_id=oops",
        });
      }
    }
    await db.updateRun(runId, { status: "succeeded", updatedAt: clock.now(), end: clock.now() });
    return await clock.waitFor(processing);
  });
  return { summary, holdings: portfolio.holdingsMap() };
}
