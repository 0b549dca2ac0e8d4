/**
 * `OmsCommitBatch`: the writes of one `OmsRecorder` commit — the bars recorded since the last
 * one, each bar's rows for `submitted_orders`, `accepted_orders`, `orders`, `fills`, the
 * `orders` updates and the portfolio tables, and the `current_positions` rows after the last
 * bar — as plain data (it crosses to a worker thread unchanged: `OmsCommitWorker`), and
 * `commitOmsBatch`, which writes one in one transaction. The recorder's inline commits and the
 * worker's run the same function, so both write the same rows in the same order.
 */
import type { PortfolioBarRecord } from "../oms/mod.ts";
import type {
  AcceptedOrdersRow,
  FillRow,
  OmsDatabase,
  OrderRow,
  OrderUpdate,
  PositionRow,
} from "../oms/db/mod.ts";

/** The writes of one recorded bar (or of one pass of order updates outside a bar). */
export interface OmsBarWrites {
  /** The bar's submitted batch (`submitted_orders`), with `accepted`; none without orders. */
  batch: { ordersAsTxt: string; timestampDb: number } | undefined;
  /** The batch's acceptance (`accepted_orders`). */
  accepted: AcceptedOrdersRow | undefined;
  /** The batch's order rows, as after submission. */
  orders: OrderRow[];
  /** The fills recorded with the bar. */
  fills: FillRow[];
  /** State / filled-shares changes of orders of earlier bars. */
  updates: OrderUpdate[];
  /** The portfolio bars appended before the bar was recorded (`DeferredDbPortfolioStore`). */
  portfolio: PortfolioBarRecord[];
}

/** Everything one commit writes. */
export interface OmsCommitBatch {
  /** The run. */
  runId: string;
  /** Account of the `current_positions` rows. */
  account: string;
  /** The recorded bars, oldest first. */
  bars: OmsBarWrites[];
  /** Portfolio bars appended after the last recorded bar (written after the bars). */
  portfolio: PortfolioBarRecord[];
  /** The `current_positions` rows to leave (after the last bar that changed them), or none. */
  positions: PositionRow[] | undefined;
}

/**
 * Writes `batch` into `db` in one transaction, bar by bar (portfolio bar, submitted batch and
 * its acceptance with its orders, fills, order updates), then the trailing portfolio bars,
 * then the positions. Throws (and writes nothing) on any database error.
 */
export async function commitOmsBatch(db: OmsDatabase, batch: OmsCommitBatch): Promise<void> {
  const runId = batch.runId;
  await db.transaction(async (tx) => {
    for (const w of batch.bars) {
      for (const record of w.portfolio) await tx.appendPortfolioBar(runId, record);
      if (w.batch !== undefined && w.accepted !== undefined) {
        await tx.insertSubmittedOrders({
          runId,
          filename: w.accepted.filename,
          timestampDb: w.batch.timestampDb,
          ordersAsTxt: w.batch.ordersAsTxt,
        });
        await tx.acceptOrders(w.accepted, w.orders);
      }
      if (w.fills.length > 0) await tx.insertFills(w.fills);
      if (w.updates.length > 0) await tx.updateOrders(runId, w.updates);
    }
    for (const record of batch.portfolio) await tx.appendPortfolioBar(runId, record);
    if (batch.positions !== undefined) {
      await tx.replacePositions(runId, batch.account, batch.positions);
    }
  });
}
