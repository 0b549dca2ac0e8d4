/** `dumpTables`: the OMS tables of one run as deterministic plain rows (for tests and reports). */
import type { PortfolioAssetRow, PortfolioState, PortfolioStatistics } from "../portfolio_store.ts";
import type { OmsDatabase } from "./oms_database.ts";
import type {
  AcceptedOrdersRow,
  FillRow,
  OrderRow,
  PositionRow,
  RunRow,
  SubmittedOrdersRow,
} from "./oms_rows.ts";

/** Every OMS table of one run, each in its table's key order. */
export interface OmsTablesDump {
  /** The run's row, or null when there is none. */
  run: RunRow | null;
  /** Submitted batches, by (timestamp_db, filename). */
  submittedOrders: SubmittedOrdersRow[];
  /** Accepted (or rejected) batches, by targetlistid. */
  acceptedOrders: AcceptedOrdersRow[];
  /** Orders, by order id. */
  orders: OrderRow[];
  /** Fills, by fill id. */
  fills: FillRow[];
  /** Current positions, by (account, asset id). */
  positions: PositionRow[];
  /** Portfolio statistics, by timestamp. */
  portfolioStatistics: PortfolioStatistics[];
  /** Portfolio asset rows, by (timestamp, asset id). */
  portfolioAssets: PortfolioAssetRow[];
  /** Portfolio state after the last bar, or null. */
  portfolioState: PortfolioState | null;
}

/**
 * Reads every OMS table of run `runId`. Two databases that saw the same operations give
 * `assert.deepStrictEqual` dumps, whatever their backend (NaN compares equal to NaN there).
 */
export async function dumpTables(db: OmsDatabase, runId: string): Promise<OmsTablesDump> {
  return {
    run: (await db.getRun(runId)) ?? null,
    submittedOrders: await db.listSubmittedOrders(runId),
    acceptedOrders: await db.listAcceptedOrders(runId),
    orders: await db.listOrders(runId),
    fills: await db.listFills(runId),
    positions: await db.listPositions(runId),
    portfolioStatistics: await db.readPortfolioStatistics(runId),
    portfolioAssets: await db.readPortfolioAssetRows(runId),
    portfolioState: (await db.loadPortfolioState(runId)) ?? null,
  };
}
