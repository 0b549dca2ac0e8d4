/**
 * `InMemoryPortfolioStore`: the in-memory `PortfolioStore` (the contract is in
 * `portfolio_store.ts`). Keeps frozen copies of what it is given, so the numbers read back are
 * exactly the numbers appended.
 */
import { UsageError } from "../errors/mod.ts";
import { formatTime } from "../sim/mod.ts";
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioState,
  PortfolioStatistics,
  PortfolioStore,
} from "./portfolio_store.ts";

/** A `PortfolioStore` held in memory (one run's portfolio; lost when the process ends). */
export class InMemoryPortfolioStore implements PortfolioStore {
  readonly #statistics: PortfolioStatistics[] = [];
  readonly #assets: PortfolioAssetRow[] = [];
  #state: PortfolioState | undefined;

  /** Appends one bar; throws `UsageError` when its timestamp is not after the last one. */
  appendBar(record: PortfolioBarRecord): Promise<void> {
    const t = record.statistics.timestamp;
    const last = this.#state?.timestamp;
    if (last !== undefined && !(t > last)) {
      return Promise.reject(
        new UsageError(
          `InMemoryPortfolioStore: bar ${formatTime(t)} is not after the last stored bar ${
            formatTime(last)
          }; bars must be appended in time order`,
        ),
      );
    }
    this.#statistics.push(Object.freeze({ ...record.statistics }));
    for (const row of record.assets) this.#assets.push(Object.freeze({ ...row }));
    this.#state = Object.freeze({
      timestamp: record.state.timestamp,
      cash: record.state.cash,
      positions: Object.freeze(record.state.positions.map((p) => Object.freeze({ ...p }))),
    });
    return Promise.resolve();
  }

  /** The state after the last appended bar, or `undefined`. */
  loadState(): Promise<PortfolioState | undefined> {
    return Promise.resolve(this.#state);
  }

  /** Every statistics row, in time order. */
  readStatistics(): Promise<PortfolioStatistics[]> {
    return Promise.resolve([...this.#statistics]);
  }

  /** Every asset row, in (timestamp, asset id) order. */
  readAssetRows(): Promise<PortfolioAssetRow[]> {
    return Promise.resolve([...this.#assets]);
  }
}
