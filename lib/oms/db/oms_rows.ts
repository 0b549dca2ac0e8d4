/**
 * The rows of the OMS database tables (DESIGN §8, REFERENCE "OMS"), as plain objects. Times
 * are UTC epoch ms (BIGINT), shares and prices doubles (NaN is stored as NULL), asset ids
 * Int64 values that fit a JS number. Every table is keyed by `runId`, so several runs can
 * share one database.
 */

/** A run of the production system (`runs`). */
export interface RunRow {
  /** Run id, unique in the database. */
  id: string;
  /** Run mode: `simulate`, `paper`, `prod`, … */
  mode: string;
  /** Strategy (DAG / model) name; also `strategyid` of the other tables. */
  strategy: string;
  /** Hash of the effective config. */
  configHash: string;
  /** Start of the run, epoch ms. */
  start: number;
  /** End of the run, epoch ms; null when open-ended. */
  end: number | null;
  /** Status: `running`, `succeeded`, `failed`, `interrupted`, … */
  status: string;
  /** When the row was created (caller's clock), epoch ms. */
  createdAt: number;
  /** When the row was last updated (caller's clock), epoch ms. */
  updatedAt: number;
}

/** One submitted batch of orders (`submitted_orders`): the orders' one-line forms. */
export interface SubmittedOrdersRow {
  /** Run id. */
  runId: string;
  /** Batch id (the original system's order file name), unique within the run. */
  filename: string;
  /** When the batch was written (submitter's clock), epoch ms. */
  timestampDb: number;
  /** The orders' one-line string forms, one per line (`Order.toString()`). */
  ordersAsTxt: string;
}

/** The acceptance (or rejection) of a submitted batch (`accepted_orders`). */
export interface AcceptedOrdersRow {
  /** Run id. */
  runId: string;
  /** Batch id of the submitted batch. */
  filename: string;
  /** Strategy id (the run's strategy). */
  strategyId: string;
  /** Sequence number of the batch in the run, from 1. */
  targetListId: number;
  /** UTC trade date of the acceptance, `YYYY-MM-DD`. */
  tradeDate: string;
  /** Id of the processing instance. */
  instanceId: number;
  /** When the batch was processed (processor's clock), epoch ms. */
  timestampProcessed: number;
  /** When the row was written (processor's clock), epoch ms. */
  timestampDb: number;
  /** Number of orders in the batch. */
  targetCount: number;
  /** Orders that change a position (diff ≠ 0). */
  changedCount: number;
  /** Orders that leave the position unchanged (diff = 0). */
  unchangedCount: number;
  /** Orders cancelled at acceptance. */
  cancelCount: number;
  /** Whether the batch was accepted. */
  success: boolean;
  /** Why the batch was rejected; empty when accepted. */
  reason: string;
}

/** One order of an accepted batch (`orders`), with its state. */
export interface OrderRow {
  /** Run id. */
  runId: string;
  /** Order id, unique within the run. */
  orderId: number;
  /** Batch id of the submitted batch the order came in. */
  filename: string;
  /** Asset id. */
  assetId: number;
  /** Order type (fill convention / execution style). */
  type: string;
  /** Creation time, epoch ms. */
  creationTime: number;
  /** Start of the execution interval `[start, end)`, epoch ms. */
  start: number;
  /** End of the execution interval, epoch ms. */
  end: number;
  /** Position before the order, shares. */
  currShares: number;
  /** Shares to trade (signed). */
  diffShares: number;
  /** Limit price; NaN when none. */
  limitPrice: number;
  /** Target weight of an order sized at fill; NaN when none. */
  targetWeight: number;
  /** State (`accepted`, `partially_filled`, `filled`, `cancelled`, `rejected`, …). */
  state: string;
  /** Σ shares of the order's fills so far (signed). */
  filledShares: number;
  /** The order's one-line string form as submitted (`Order.toString()`, state `submitted`). */
  orderTxt: string;
  /** When the state last changed (processor's clock), epoch ms. */
  updatedAt: number;
}

/** One fill (`fills`). */
export interface FillRow {
  /** Run id. */
  runId: string;
  /** Fill id, unique within the run. */
  fillId: number;
  /** Id of the filled order. */
  orderId: number;
  /** Asset id. */
  assetId: number;
  /** Fill time, epoch ms. */
  timestamp: number;
  /** Shares filled (signed: buys positive). */
  shares: number;
  /** Fill price. */
  price: number;
  /** Fee paid, quote currency. */
  fee: number;
}

/** One asset's position of a run and account (`current_positions`). */
export interface PositionRow {
  /** Run id. */
  runId: string;
  /** Strategy id. */
  strategyId: string;
  /** Account name. */
  account: string;
  /** Asset id. */
  assetId: number;
  /** UTC trade date the row describes, `YYYY-MM-DD`. */
  tradeDate: string;
  /** When the row was written (processor's clock), epoch ms. */
  timestampDb: number;
  /** Position the latest order aims at (curr + diff), shares. */
  targetPosition: number;
  /** Position after every fill so far, shares. */
  currentPosition: number;
  /** Shares of open (unfilled, not cancelled) orders: target − current, or 0. */
  openQuantity: number;
  /** Σ shares·price of the fills of the trade date (cash paid, fees excluded). */
  netCost: number;
  /** Position at the start of the trade date (00:00 UTC), shares. */
  bodPosition: number;
  /** Price of the last fill before the trade date; NaN when none. */
  bodPrice: number;
}
