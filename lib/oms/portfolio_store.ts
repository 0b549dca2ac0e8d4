/**
 * THE CONTRACT between `Portfolio` and its storage (DESIGN §8: "an in-memory implementation and
 * a database-backed one that give the same numbers"). `Portfolio` does every computation (the
 * shared `PortfolioAccounting`); a store only keeps what it is given and gives it back
 * unchanged, so any two stores give the same numbers as long as they round-trip doubles
 * exactly (SQLite REAL and PostgreSQL `double precision` do; NaN may be stored as NULL and must
 * be read back as NaN).
 *
 * What is stored, once per marked bar (`Portfolio.markToMarket`), in one atomic append:
 * - the bar's statistics row (`PortfolioStatistics`),
 * - one row per asset of the portfolio (`PortfolioAssetRow`: holdings, trades, fees, pnl, mark),
 * - the state after the bar (`PortfolioState`): cash and one position (shares, mark) per asset.
 *
 * Implementations: `InMemoryPortfolioStore` (this area) and the OMS database (`lib/oms/db`).
 * Times are UTC epoch ms; asset ids are Int64 values that fit a JS number.
 */

/** Portfolio-level statistics of one bar (REFERENCE "OMS": Portfolio mark-to-market). */
export interface PortfolioStatistics {
  /** Bar end, epoch ms. */
  readonly timestamp: number;
  /** Σ pnl over the assets: the change of net wealth over the bar. */
  readonly pnl: number;
  /** Σ |shares · price| traded during the bar. */
  readonly grossVolume: number;
  /** Σ shares · price traded during the bar (buys positive). */
  readonly netVolume: number;
  /** Σ |holdings · mark| after the bar. */
  readonly gmv: number;
  /** Σ holdings · mark after the bar. */
  readonly nmv: number;
  /** Fees paid during the bar. */
  readonly fees: number;
  /** Cash after the bar. */
  readonly cash: number;
  /** cash + nmv. */
  readonly netWealth: number;
  /** gmv / net wealth (NaN when net wealth ≤ 0). */
  readonly leverage: number;
  /** Number of assets traded during the bar. */
  readonly numTrades: number;
}

/** One asset's row of one bar. */
export interface PortfolioAssetRow {
  /** Bar end, epoch ms. */
  readonly timestamp: number;
  /** Asset id. */
  readonly assetId: number;
  /** Holdings after the bar, shares. */
  readonly holdingsShares: number;
  /** Holdings × mark after the bar. */
  readonly holdingsNotional: number;
  /** Shares traded during the bar (signed). */
  readonly executedTradesShares: number;
  /** Σ shares · price traded during the bar. */
  readonly executedTradesNotional: number;
  /** Fees paid during the bar. */
  readonly fees: number;
  /** PnL of the bar. */
  readonly pnl: number;
  /** The mark: the asset's close at the bar (its last known close when it has none; NaN before any). */
  readonly price: number;
}

/** One asset's position in a `PortfolioState`. */
export interface PortfolioPosition {
  /** Asset id. */
  readonly assetId: number;
  /** Holdings, shares. */
  readonly shares: number;
  /** Last mark price (NaN until the asset had a close or a fill). */
  readonly mark: number;
}

/** Cash and positions after a marked bar: what a `Portfolio` is restored from. */
export interface PortfolioState {
  /** End of the last marked bar, epoch ms. */
  readonly timestamp: number;
  /** Cash, quote currency. */
  readonly cash: number;
  /** One position per asset of the portfolio (zero holdings included), ascending asset id. */
  readonly positions: readonly PortfolioPosition[];
}

/** Everything one marked bar appends. */
export interface PortfolioBarRecord {
  /** The bar's statistics. */
  readonly statistics: PortfolioStatistics;
  /** One row per asset of the portfolio, ascending asset id (same timestamp as `statistics`). */
  readonly assets: readonly PortfolioAssetRow[];
  /** Cash and positions after the bar (same timestamp as `statistics`). */
  readonly state: PortfolioState;
}

/**
 * Storage of a portfolio's bars. A store accepts bars in strictly increasing timestamp order
 * (an append at or before the last stored timestamp throws), stores each record atomically
 * (all of it or nothing) and returns values exactly as given.
 */
export interface PortfolioStore {
  /** Appends one marked bar (statistics, asset rows, state) atomically. */
  appendBar(record: PortfolioBarRecord): Promise<void>;
  /** The state after the last appended bar, or `undefined` when no bar was appended. */
  loadState(): Promise<PortfolioState | undefined>;
  /** Every statistics row, in time order. */
  readStatistics(): Promise<PortfolioStatistics[]>;
  /** Every asset row, in (timestamp, asset id) order. */
  readAssetRows(): Promise<PortfolioAssetRow[]>;
}
