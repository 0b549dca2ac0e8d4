/**
 * Conversions between the OMS objects (`Order`, `Fill`) and the database rows, and the text
 * of a submitted batch (`submitted_orders.orders_as_txt`: the orders' one-line forms, one per
 * line, parsed back exactly by `Order.fromString`).
 */
import { DataError } from "../../errors/mod.ts";
import { Fill } from "../fill.ts";
import { Order } from "../order.ts";
import type { FillRow, OrderRow } from "./oms_rows.ts";

/** Options of `orderToRow`. */
export interface OrderToRowOptions {
  /** Run id. Required. */
  runId: string;
  /** Batch id the order was submitted in. Required. */
  filename: string;
  /** When the row is written (caller's clock), epoch ms. Required. */
  updatedAt: number;
  /** The one-line form to store. Default: `order.toString()`. */
  orderTxt?: string;
  /** Σ shares filled so far. Default: 0. */
  filledShares?: number;
}

/** The `orders` row of an order (its current state; absent limit / weight as NaN). */
export function orderToRow(order: Order, options: OrderToRowOptions): OrderRow {
  return {
    runId: options.runId,
    orderId: order.id,
    filename: options.filename,
    assetId: order.assetId,
    type: order.type,
    creationTime: order.creationTimestamp,
    start: order.startTimestamp,
    end: order.endTimestamp,
    currShares: order.currentShares,
    diffShares: order.diffShares,
    limitPrice: order.limitPrice ?? NaN,
    targetWeight: order.targetWeight ?? NaN,
    state: order.state,
    filledShares: options.filledShares ?? 0,
    orderTxt: options.orderTxt ?? order.toString(),
    updatedAt: options.updatedAt,
  };
}

/** The `fills` row of a fill of run `runId`. */
export function fillToRow(fill: Fill, runId: string): FillRow {
  return {
    runId,
    fillId: fill.id,
    orderId: fill.orderId,
    assetId: fill.assetId,
    timestamp: fill.timestamp,
    shares: fill.shares,
    price: fill.price,
    fee: fill.fee,
  };
}

/** The `Fill` of a `fills` row (validated: throws `DataError` for a row no Fill can have). */
export function fillFromRow(row: FillRow): Fill {
  try {
    return new Fill({
      id: row.fillId,
      orderId: row.orderId,
      assetId: row.assetId,
      timestamp: row.timestamp,
      shares: row.shares,
      price: row.price,
      fee: row.fee,
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DataError(`Invalid row of fills, run ${row.runId}: ${detail}`, { cause: error });
  }
}

/** The text of a batch: the orders' one-line forms, one per line. */
export function ordersToText(orders: readonly Order[]): string {
  return orders.map((o) => o.toString()).join("\n");
}

/**
 * Parses the text of a batch (blank lines skipped) into orders; throws `DataError` naming the
 * line that does not parse.
 */
export function ordersFromText(text: string, what = "batch"): Order[] {
  const orders: Order[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    try {
      orders.push(Order.fromString(line));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DataError(`${what}, line ${i + 1}: ${detail}`, { cause: error });
    }
  }
  return orders;
}
