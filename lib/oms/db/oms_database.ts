/**
 * The `OmsDatabase` interface (DESIGN §8): the OMS tables of one database — runs, submitted
 * and accepted order batches, orders with their states, fills, current positions, and the
 * portfolio of a database-backed `Portfolio`. Two implementations with the same logical
 * schema and the same statements: `SqliteOmsDatabase` (the default, a file in the run
 * directory) and `PostgresOmsDatabase` (several processes, e.g. an `OrderProcessor` of its
 * own). Every read is ordered (`ORDER BY` the table's key), so both give identical results.
 */
import type {
  AcceptedOrdersRow,
  FillRow,
  OrderRow,
  PositionRow,
  RunRow,
  SubmittedOrdersRow,
} from "./oms_rows.ts";
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioState,
  PortfolioStatistics,
} from "../portfolio_store.ts";

/** The backend of an `OmsDatabase`. */
export type OmsDatabaseKind = "sqlite" | "postgres";

/** Options of `OmsDatabase.listOrders`. */
export interface ListOrdersOptions {
  /** Only the orders of this batch. Default: all batches. */
  filename?: string;
  /** Only orders in one of these states. Default: any state. */
  states?: readonly string[];
  /** Only orders with one of these ids. Default: any id. */
  orderIds?: readonly number[];
}

/** One change of an order's state (`OmsDatabase.updateOrders`). */
export interface OrderUpdate {
  /** Order id. */
  orderId: number;
  /** New state. */
  state: string;
  /** Σ shares filled so far. */
  filledShares: number;
  /** When it changed (caller's clock), epoch ms. */
  updatedAt: number;
}

/** Changes to a run's row (`OmsDatabase.updateRun`). */
export interface RunUpdate {
  /** New status. */
  status: string;
  /** When it changed (caller's clock), epoch ms. */
  updatedAt: number;
  /** New end time. Default: unchanged. */
  end?: number | null;
}

/** The OMS tables of one database. All methods are async; reads are deterministic. */
export interface OmsDatabase {
  /** The backend. */
  readonly kind: OmsDatabaseKind;
  /** Where the database is: a file path, or `postgres://host:port/db` + schema (no password). */
  readonly location: string;

  /** The schema versions recorded in `schema_migrations`, ascending. */
  schemaVersions(): Promise<number[]>;
  /**
   * Runs `fn` in one transaction on a database object bound to it: everything `fn` writes is
   * committed together, or nothing when it throws. Inside, use only `tx`.
   */
  transaction<T>(fn: (tx: OmsDatabase) => Promise<T>): Promise<T>;
  /** Closes the database (the connection pool for PostgreSQL). */
  close(): Promise<void>;

  /** Inserts the run, or replaces every field of the run with the same id. */
  putRun(run: RunRow): Promise<void>;
  /** Changes a run's status (and end). Throws when the run does not exist. */
  updateRun(id: string, update: RunUpdate): Promise<void>;
  /** The run with this id, or undefined. */
  getRun(id: string): Promise<RunRow | undefined>;
  /** Every run, by id. */
  listRuns(): Promise<RunRow[]>;

  /** Inserts a batch; throws when the run already has a batch with this filename. */
  insertSubmittedOrders(row: SubmittedOrdersRow): Promise<void>;
  /** The run's submitted batches, by (timestamp_db, filename). */
  listSubmittedOrders(runId: string): Promise<SubmittedOrdersRow[]>;
  /**
   * Submitted batches without an `accepted_orders` row, of one run or of every run, by
   * (timestamp_db, run_id, filename).
   */
  listUnacceptedSubmissions(runId?: string): Promise<SubmittedOrdersRow[]>;

  /**
   * Records the acceptance (or rejection) of a batch and inserts its orders, atomically.
   * Returns false (and writes nothing) when the batch already has an `accepted_orders` row.
   */
  acceptOrders(accepted: AcceptedOrdersRow, orders: readonly OrderRow[]): Promise<boolean>;
  /** The run's accepted (or rejected) batches, by targetlistid. */
  listAcceptedOrders(runId: string): Promise<AcceptedOrdersRow[]>;

  /** The run's orders, by order id. */
  listOrders(runId: string, options?: ListOrdersOptions): Promise<OrderRow[]>;
  /** Changes the state and filled shares of orders. Throws when an order does not exist. */
  updateOrders(runId: string, updates: readonly OrderUpdate[]): Promise<void>;

  /**
   * Inserts fills; a fill whose (run, fill id) is already stored is skipped when identical and
   * refused when different. Returns how many were new.
   */
  insertFills(fills: readonly FillRow[]): Promise<number>;
  /** The run's fills, by fill id (only those of `orderIds` when given). */
  listFills(runId: string, orderIds?: readonly number[]): Promise<FillRow[]>;

  /** Replaces every position row of (run, account) by `rows`. */
  replacePositions(runId: string, account: string, rows: readonly PositionRow[]): Promise<void>;
  /** The run's positions, by (account, asset id). */
  listPositions(runId: string): Promise<PositionRow[]>;

  /**
   * Appends one marked bar of the run's portfolio (statistics, asset rows, and the state that
   * replaces the stored one), atomically. Throws when the bar is not after the last stored one.
   */
  appendPortfolioBar(runId: string, record: PortfolioBarRecord): Promise<void>;
  /** The run's portfolio state after its last bar, or undefined before any bar. */
  loadPortfolioState(runId: string): Promise<PortfolioState | undefined>;
  /** The run's portfolio statistics rows, by timestamp. */
  readPortfolioStatistics(runId: string): Promise<PortfolioStatistics[]>;
  /** The run's portfolio asset rows, by (timestamp, asset id). */
  readPortfolioAssetRows(runId: string): Promise<PortfolioAssetRow[]>;
}
