/**
 * `DeferredDbPortfolioStore`: a `PortfolioStore` in the OMS database whose appends are written
 * later, by the caller, inside the caller's own transaction (`takePending` → `tx.appendPortfolioBar`),
 * so that a bar's portfolio rows, orders, fills and positions are committed together — one
 * transaction per bar instead of one per table. Until then the bars are held in memory; reads
 * (`readStatistics`, `readAssetRows`, `loadState`) see them. Values are the ones appended,
 * unchanged (the `PortfolioStore` contract).
 */
import { UsageError } from "../errors/mod.ts";
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioState,
  PortfolioStatistics,
  PortfolioStore,
} from "../oms/mod.ts";
import type { OmsDatabase } from "../oms/db/mod.ts";
import { formatTime } from "../sim/mod.ts";

/** A `PortfolioStore` of one run in an `OmsDatabase`, written by the caller's transactions. */
export class DeferredDbPortfolioStore implements PortfolioStore {
  /** The run whose portfolio this is. */
  readonly runId: string;
  readonly #db: OmsDatabase;
  #pending: PortfolioBarRecord[] = [];
  #last: number | undefined;

  /** A store for the portfolio of `runId` in `db`. */
  constructor(db: OmsDatabase, runId: string) {
    this.#db = db;
    this.runId = runId;
  }

  /** Number of appended bars not written yet. */
  get pendingBars(): number {
    return this.#pending.length;
  }

  /** Holds one marked bar until it is written; throws `UsageError` unless after the last one. */
  appendBar(record: PortfolioBarRecord): Promise<void> {
    const t = record.statistics.timestamp;
    if (this.#last !== undefined && !(t > this.#last)) {
      return Promise.reject(
        new UsageError(
          `DeferredDbPortfolioStore: bar ${formatTime(t)} is not after the last appended bar ` +
            `${formatTime(this.#last)}; bars must be appended in time order`,
        ),
      );
    }
    this.#last = t;
    this.#pending.push(record);
    return Promise.resolve();
  }

  /**
   * Hands over the bars appended since the last call, oldest first; the caller writes them
   * (`db.appendPortfolioBar(runId, record)`, inside its transaction).
   */
  takePending(): PortfolioBarRecord[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Writes the pending bars in one transaction of its own. */
  async flush(): Promise<void> {
    const pending = this.takePending();
    if (pending.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const record of pending) await tx.appendPortfolioBar(this.runId, record);
    });
  }

  /** The state after the last appended bar (pending or written), or `undefined`. */
  async loadState(): Promise<PortfolioState | undefined> {
    const last = this.#pending[this.#pending.length - 1];
    if (last !== undefined) return last.state;
    return await this.#db.loadPortfolioState(this.runId);
  }

  /** Every statistics row (written ones, then pending ones), in time order. */
  async readStatistics(): Promise<PortfolioStatistics[]> {
    const stored = await this.#db.readPortfolioStatistics(this.runId);
    return [...stored, ...this.#pending.map((r) => r.statistics)];
  }

  /** Every asset row, in (timestamp, asset id) order. */
  async readAssetRows(): Promise<PortfolioAssetRow[]> {
    const stored = await this.#db.readPortfolioAssetRows(this.runId);
    return [...stored, ...this.#pending.flatMap((r) => r.assets)];
  }
}
