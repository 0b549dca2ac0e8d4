/**
 * The submitting side of the OMS database (REFERENCE "OMS": the system writes a batch of orders
 * into `submitted_orders`, and the OrderProcessor accepts it): `submitOrderBatch` writes one
 * batch, `waitForAcceptance` waits on the clock until the processor has answered.
 */
import { TimeoutError } from "../../errors/mod.ts";
import { type Clock, formatTime } from "../../sim/mod.ts";
import type { Order } from "../order.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { ordersToText } from "./oms_row_conversions.ts";
import type { AcceptedOrdersRow } from "./oms_rows.ts";

/** Options of `submitOrderBatch`. */
export interface SubmitOrderBatchOptions {
  /** The run. Required. */
  runId: string;
  /** When the batch is written (submitter's clock), epoch ms. Required. */
  timestampDb: number;
  /**
   * The batch id, unique within the run. Default: `orders.<timestampDb ISO>.<first order id>`
   * (`…empty` for no orders).
   */
  filename?: string | undefined;
}

/**
 * Writes `orders` (in state `submitted`) as one batch of `submitted_orders`: their one-line
 * forms, one per line. Returns the batch's filename.
 */
export async function submitOrderBatch(
  db: OmsDatabase,
  orders: readonly Order[],
  options: SubmitOrderBatchOptions,
): Promise<string> {
  const filename = options.filename ??
    `orders.${new Date(options.timestampDb).toISOString()}.${orders[0]?.id ?? "empty"}`;
  await db.insertSubmittedOrders({
    runId: options.runId,
    filename,
    timestampDb: options.timestampDb,
    ordersAsTxt: ordersToText(orders),
  });
  return filename;
}

/** Options of `waitForAcceptance`. */
export interface WaitForAcceptanceOptions {
  /** The clock to wait on. Required. */
  clock: Clock;
  /** Time between looks, ms. Default: 1_000. */
  pollMs?: number | undefined;
  /** Give up (TimeoutError) this long after the call, ms. Default: 60_000. */
  timeoutMs?: number | undefined;
  /** Aborts the wait (InterruptedError from the clock). Default: none. */
  signal?: AbortSignal | undefined;
}

/**
 * Waits until batch `filename` of run `runId` has an `accepted_orders` row and returns it
 * (its `success` says whether it was accepted). Throws `TimeoutError` after `timeoutMs`.
 */
export async function waitForAcceptance(
  db: OmsDatabase,
  batch: { runId: string; filename: string },
  options: WaitForAcceptanceOptions,
): Promise<AcceptedOrdersRow> {
  const { clock } = options;
  const pollMs = options.pollMs ?? 1_000;
  const deadline = clock.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const rows = await db.listAcceptedOrders(batch.runId);
    const row = rows.find((r) => r.filename === batch.filename);
    if (row !== undefined) return row;
    const now = clock.now();
    if (now >= deadline) {
      throw new TimeoutError(
        `No OrderProcessor accepted batch ${batch.filename} of run ${batch.runId} in ` +
          `${db.location} by ${formatTime(deadline)}: is an order processor running on it?`,
      );
    }
    await clock.sleepUntil(Math.min(now + pollMs, deadline), options.signal);
  }
}
