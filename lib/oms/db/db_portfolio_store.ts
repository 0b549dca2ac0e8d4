/** `DbPortfolioStore`: a `Portfolio`'s storage in the OMS database (DESIGN §8). */
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioState,
  PortfolioStatistics,
  PortfolioStore,
} from "../portfolio_store.ts";
import type { OmsDatabase } from "./oms_database.ts";

/**
 * The `PortfolioStore` of one run in an `OmsDatabase` (tables `portfolio_statistics`,
 * `portfolio_assets`, `portfolio_state`, `portfolio_positions`). Values round-trip exactly
 * (doubles as DOUBLE PRECISION, NaN as NULL), so a `Portfolio` on it gives the same numbers
 * as on the in-memory store, and a restarted process can restore it with `loadState()`.
 */
export class DbPortfolioStore implements PortfolioStore {
  readonly #db: OmsDatabase;
  /** The run whose portfolio this is. */
  readonly runId: string;

  /** A store for the portfolio of `runId` in `db`. */
  constructor(db: OmsDatabase, runId: string) {
    this.#db = db;
    this.runId = runId;
  }

  /** Appends one marked bar atomically (throws unless after the last stored bar). */
  appendBar(record: PortfolioBarRecord): Promise<void> {
    return this.#db.appendPortfolioBar(this.runId, record);
  }

  /** The state after the last appended bar, or undefined. */
  loadState(): Promise<PortfolioState | undefined> {
    return this.#db.loadPortfolioState(this.runId);
  }

  /** Every statistics row, in time order. */
  readStatistics(): Promise<PortfolioStatistics[]> {
    return this.#db.readPortfolioStatistics(this.runId);
  }

  /** Every asset row, in (timestamp, asset id) order. */
  readAssetRows(): Promise<PortfolioAssetRow[]> {
    return this.#db.readPortfolioAssetRows(this.runId);
  }
}
