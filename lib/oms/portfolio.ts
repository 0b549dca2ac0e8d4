/**
 * `Portfolio` (DESIGN §8): holdings and cash over time, bar by bar, computed with the SAME
 * accounting code as the forecast evaluator (`PortfolioAccounting`), and persisted in a
 * `PortfolioStore` (in memory by default, or the OMS database): same code, same numbers.
 *
 * Per bar: any number of `applyFills(fills)` (each fill: holdings += shares, cash −= shares ×
 * price + fee), then `markToMarket(t, closes)` ends the bar: it marks the holdings at the
 * closes (an asset without a close keeps its last mark), computes the bar's statistics (pnl,
 * gross/net volume, gmv, nmv, fees, cash, net wealth, leverage, number of trades) and per-asset
 * rows, and appends them with the state after the bar to the store.
 *
 * Assets are kept in ascending asset-id order and every sum runs in that order, as in the
 * evaluator (whose assets are the forecasts' asset ids, ascending): that is what makes the two
 * agree bit for bit. Assets join when first seen (`addAssets`, or a fill) and never leave.
 */
import { UsageError } from "../errors/mod.ts";
import { formatTime } from "../sim/mod.ts";
import type { Fill } from "./fill.ts";
import { InMemoryPortfolioStore } from "./in_memory_portfolio_store.ts";
import { type BarMetrics, PortfolioAccounting } from "./portfolio_accounting.ts";
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioPosition,
  PortfolioStore,
} from "./portfolio_store.ts";

/** Options of `Portfolio`. */
export interface PortfolioOptions {
  /** Cash before the first bar, quote currency. Default: 10,000 (as the forecast evaluator). */
  initialCash?: number | undefined;
  /** Assets known from the start. Default: none (assets join when first seen). */
  assetIds?: readonly number[] | undefined;
  /** Where the bars are persisted. Default: a new `InMemoryPortfolioStore`. */
  store?: PortfolioStore | undefined;
}

/** Holdings and cash of one run, marked bar by bar. */
export class Portfolio {
  /** Where the marked bars go. */
  readonly store: PortfolioStore;
  #ids: number[] = [];
  #index = new Map<number, number>();
  #acc: PortfolioAccounting;
  /** Trades were recorded since the last mark (the bar is open). */
  #inBar = false;
  /** The accounting was rebuilt while a bar was open: clear its per-bar arrays at the next bar. */
  #mustClear = false;
  #last: number | undefined;

  /** Creates an empty portfolio holding `options.initialCash`. */
  constructor(options: PortfolioOptions = {}) {
    const cash = options.initialCash ?? 10_000;
    if (!Number.isFinite(cash)) {
      throw new UsageError(`Portfolio: initialCash must be finite, got ${cash}`);
    }
    this.store = options.store ?? new InMemoryPortfolioStore();
    this.#acc = new PortfolioAccounting(0, { initialCash: cash });
    this.addAssets(options.assetIds ?? []);
  }

  /**
   * A portfolio resumed from `store`: the cash, holdings and marks after its last bar (or a new
   * portfolio with `options.initialCash` when the store is empty).
   */
  static async restore(store: PortfolioStore, options: PortfolioOptions = {}): Promise<Portfolio> {
    const portfolio = new Portfolio({ ...options, store });
    const state = await store.loadState();
    if (state === undefined) return portfolio;
    portfolio.addAssets(state.positions.map((p) => p.assetId));
    const acc = portfolio.#acc;
    acc.cash = state.cash;
    for (const position of state.positions) {
      const i = portfolio.#index.get(position.assetId) as number;
      acc.holdings[i] = position.shares;
      acc.marks[i] = position.mark;
      acc.holdingsNotional[i] = position.shares === 0 ? 0 : position.shares * position.mark;
    }
    portfolio.#last = state.timestamp;
    return portfolio;
  }

  /** Current cash. */
  get cash(): number {
    return this.#acc.cash;
  }

  /** End of the last marked bar, or `undefined`. */
  get lastTimestamp(): number | undefined {
    return this.#last;
  }

  /** The portfolio's asset ids, ascending. */
  assetIds(): number[] {
    return [...this.#ids];
  }

  /** Current holdings of `assetId`, shares (0 for an unknown asset). */
  holdings(assetId: number): number {
    const i = this.#index.get(assetId);
    return i === undefined ? 0 : this.#acc.holdings[i] as number;
  }

  /** Current holdings of every asset (zeros included), ascending asset id. */
  holdingsMap(): Map<number, number> {
    return new Map(this.#ids.map((id, i) => [id, this.#acc.holdings[i] as number]));
  }

  /** Last mark of `assetId` (NaN before any close or fill). */
  mark(assetId: number): number {
    const i = this.#index.get(assetId);
    return i === undefined ? NaN : this.#acc.marks[i] as number;
  }

  /** Adds assets (unknown ids; known ones are ignored), keeping ascending asset-id order. */
  addAssets(assetIds: Iterable<number>): void {
    const fresh = [...new Set(assetIds)].filter((id) => !this.#index.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) {
      if (!Number.isSafeInteger(id)) {
        throw new UsageError(`Portfolio: asset id must be an integer, got ${id}`);
      }
    }
    const ids = [...this.#ids, ...fresh].sort((a, b) => a - b);
    const old = this.#acc;
    const acc = new PortfolioAccounting(ids.length, { initialCash: old.cash });
    ids.forEach((id, j) => {
      const i = this.#index.get(id);
      if (i === undefined) return;
      acc.holdings[j] = old.holdings[i] as number;
      acc.marks[j] = old.marks[i] as number;
      acc.holdingsNotional[j] = old.holdingsNotional[i] as number;
      acc.pnl[j] = old.pnl[i] as number;
      if (!this.#inBar) return; // between bars the per-bar trades are stale: leave them at 0
      acc.tradeShares[j] = old.tradeShares[i] as number;
      acc.tradeNotional[j] = old.tradeNotional[i] as number;
      acc.fees[j] = old.fees[i] as number;
    });
    // The new accounting does not know it holds this bar's trades: clear them at the next bar.
    if (this.#inBar) this.#mustClear = true;
    this.#acc = acc;
    this.#ids = ids;
    this.#index = new Map(ids.map((id, j) => [id, j]));
  }

  /**
   * Applies fills, in the given order, to the open bar (opening it if needed): holdings +=
   * shares, cash −= shares × price + fee. An unknown asset joins the portfolio.
   */
  applyFills(fills: readonly Fill[]): void {
    if (fills.length === 0) return;
    this.#beginBar();
    this.addAssets(fills.map((fill) => fill.assetId));
    for (const fill of fills) {
      const i = this.#index.get(fill.assetId) as number;
      this.#acc.tradeWithFee(i, fill.shares, fill.price, fill.fee);
    }
  }

  /**
   * cash + Σ holdings × price, with `prices` by asset id (an asset without a price, or with a
   * NaN one, at its last mark), summed in ascending asset-id order (as the evaluator does).
   */
  netWealthAt(prices: ReadonlyMap<number, number>): number {
    const px = Float64Array.from(this.#ids, (id) => prices.get(id) ?? NaN);
    return this.#acc.netWealthAt(px);
  }

  /**
   * Ends the bar ending at `t`: marks at `closes` (by asset id; absent or NaN → last mark),
   * appends the bar's statistics, asset rows and state to the store, and returns them. Throws
   * `UsageError` when `t` is not after the last marked bar.
   */
  async markToMarket(t: number, closes: ReadonlyMap<number, number>): Promise<PortfolioBarRecord> {
    if (!Number.isFinite(t) || (this.#last !== undefined && !(t > this.#last))) {
      throw new UsageError(
        `Portfolio.markToMarket: bar ${Number.isFinite(t) ? formatTime(t) : t} is not after the ` +
          `last marked bar ${this.#last === undefined ? "" : formatTime(this.#last)}`,
      );
    }
    this.#beginBar();
    const acc = this.#acc;
    const px = Float64Array.from(this.#ids, (id) => closes.get(id) ?? NaN);
    const m: BarMetrics = acc.markToMarket(px);
    const assets: PortfolioAssetRow[] = [];
    const positions: PortfolioPosition[] = [];
    this.#ids.forEach((assetId, i) => {
      const shares = acc.holdings[i] as number;
      const mark = acc.marks[i] as number;
      assets.push({
        timestamp: t,
        assetId,
        holdingsShares: shares,
        holdingsNotional: acc.holdingsNotional[i] as number,
        executedTradesShares: acc.tradeShares[i] as number,
        executedTradesNotional: acc.tradeNotional[i] as number,
        fees: acc.fees[i] as number,
        pnl: acc.pnl[i] as number,
        price: mark,
      });
      positions.push({ assetId, shares, mark });
    });
    const record: PortfolioBarRecord = {
      statistics: {
        timestamp: t,
        pnl: m.pnl,
        grossVolume: m.grossVolume,
        netVolume: m.netVolume,
        gmv: m.gmv,
        nmv: m.nmv,
        fees: m.fees,
        cash: m.cash,
        netWealth: m.netWealth,
        leverage: m.leverage,
        numTrades: m.numTrades,
      },
      assets,
      state: { timestamp: t, cash: acc.cash, positions },
    };
    await this.store.appendBar(record);
    this.#inBar = false;
    this.#last = t;
    return record;
  }

  /** Opens a bar (clears the per-bar trades) unless one is open. */
  #beginBar(): void {
    if (this.#inBar) return;
    this.#acc.beginBar();
    if (this.#mustClear) {
      this.#acc.tradeShares.fill(0);
      this.#acc.tradeNotional.fill(0);
      this.#acc.fees.fill(0);
      this.#mustClear = false;
    }
    this.#inBar = true;
  }
}
