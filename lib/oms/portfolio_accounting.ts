/**
 * Portfolio accounting (DESIGN §7): cash and holdings of a set of assets, bar by bar, on typed
 * arrays. With Δ_t the shares traded during bar t at price f_t, h_t the holdings after it and
 * c_t the close (mark price):
 *
 *   pnl_t  = h_t·c_t − h_{t−1}·c_{t−1} − Δ_t·f_t − fee_t
 *   cash_t = cash_{t−1} − Δ_t·f_t − fee_t
 *   net_wealth_t = cash_t + Σ h_t·c_t,   fee = |Δ·f| × feeBps / 1e4
 *
 * so that Σ pnl over the assets of a bar is the change of net wealth. A NaN close keeps the
 * asset's last mark (the last known close, or the last fill price if it never had a close).
 *
 * Use per bar: `beginBar()`, any number of `trade()`, then `markToMarket(closes)`.
 */
import { UsageError } from "../errors/mod.ts";

/** Portfolio-level statistics of one bar (REFERENCE "OMS": Portfolio mark-to-market). */
export interface BarMetrics {
  /** Σ pnl over the assets. */
  pnl: number;
  /** Σ |Δ·f|: traded notional, buys and sells. */
  grossVolume: number;
  /** Σ Δ·f: net traded notional (buys positive). */
  netVolume: number;
  /** Σ |h·c|: gross market value after the bar. */
  gmv: number;
  /** Σ h·c: net market value after the bar. */
  nmv: number;
  /** Σ fees paid during the bar. */
  fees: number;
  /** Cash after the bar. */
  cash: number;
  /** cash + nmv. */
  netWealth: number;
  /** gmv / net wealth (NaN when net wealth ≤ 0). */
  leverage: number;
  /** Number of assets traded during the bar (Δ ≠ 0). */
  numTrades: number;
}

/** Dense (bar × asset) arrays `markToMarket` can record each bar's per-asset results into. */
export interface AccountingLedger {
  /** Holdings after the bar, shares. */
  holdingsShares: Float64Array;
  /** Holdings after the bar × mark. */
  holdingsNotional: Float64Array;
  /** Shares traded during the bar (Δ). */
  tradesShares: Float64Array;
  /** Notional traded during the bar (Δ·f). */
  tradesNotional: Float64Array;
  /** Fees paid during the bar. */
  fees: Float64Array;
  /** PnL of the bar. */
  pnl: Float64Array;
}

/** Options of `PortfolioAccounting.markToMarket`. */
export interface MarkToMarketOptions {
  /** Object to write the bar metrics into (avoids an allocation per bar). Default: a new one. */
  out?: BarMetrics | undefined;
  /** Ledger to record the per-asset results into, at `offset + asset`. Default: none. */
  ledger?: AccountingLedger | undefined;
  /** Index of asset 0 in `closes` and in the ledger (e.g. `bar × numAssets`). Default: 0. */
  offset?: number | undefined;
}

/** Options of `PortfolioAccounting`. */
export interface PortfolioAccountingOptions {
  /** Cash before the first bar, quote currency. Default: 0. */
  initialCash?: number | undefined;
}

/** Cash and holdings bar by bar, with the per-asset results of the current bar. */
export class PortfolioAccounting {
  /** Number of assets (indices 0..numAssets−1). */
  readonly numAssets: number;
  /** Current cash. */
  cash: number;
  /** Current holdings in shares (after the trades recorded so far). */
  readonly holdings: Float64Array;
  /** Last mark price per asset (NaN until known). */
  readonly marks: Float64Array;
  /** Shares traded during the current bar, per asset (Δ). */
  readonly tradeShares: Float64Array;
  /** Notional traded during the current bar, per asset (Σ Δ·f). */
  readonly tradeNotional: Float64Array;
  /** Fees paid during the current bar, per asset. */
  readonly fees: Float64Array;
  /** Holdings notional after the last `markToMarket` (h·c), per asset. */
  readonly holdingsNotional: Float64Array;
  /** PnL of the last `markToMarket`, per asset. */
  readonly pnl: Float64Array;
  #traded = 0; // 1 when a trade was recorded since beginBar (a number: no write barrier)

  /** Creates an empty book of `numAssets` assets holding `options.initialCash`. */
  constructor(numAssets: number, options: PortfolioAccountingOptions = {}) {
    if (!Number.isInteger(numAssets) || numAssets < 0) {
      throw new UsageError(
        `PortfolioAccounting: numAssets must be a non-negative integer, got ${numAssets}`,
      );
    }
    const cash = options.initialCash ?? 0;
    if (!Number.isFinite(cash)) {
      throw new UsageError(`PortfolioAccounting: initialCash must be finite, got ${cash}`);
    }
    this.numAssets = numAssets;
    this.cash = cash;
    this.holdings = new Float64Array(numAssets);
    this.marks = new Float64Array(numAssets).fill(NaN);
    this.tradeShares = new Float64Array(numAssets);
    this.tradeNotional = new Float64Array(numAssets);
    this.fees = new Float64Array(numAssets);
    this.holdingsNotional = new Float64Array(numAssets);
    this.pnl = new Float64Array(numAssets);
  }

  /** Starts a bar: clears the per-bar trades and fees. */
  beginBar(): void {
    if (this.#traded === 0) return;
    for (let i = 0; i < this.numAssets; i++) {
      this.tradeShares[i] = 0;
      this.tradeNotional[i] = 0;
      this.fees[i] = 0;
    }
    this.#traded = 0;
  }

  /**
   * Records `shares` (signed, buys positive) of `asset` traded at `price` with a fee of
   * `|shares·price| × feeBps / 1e4`; returns the fee. Throws `UsageError` on a non-finite
   * price or size (a caller bug: an unfillable order must not reach the book).
   */
  trade(asset: number, shares: number, price: number, feeBps = 0): number {
    if (!Number.isFinite(shares) || !Number.isFinite(price)) {
      throw new UsageError(
        `PortfolioAccounting.trade: asset #${asset}: non-finite trade ${shares} @ ${price}`,
      );
    }
    if (shares === 0) return 0;
    return this.#record(asset, shares, price, Math.abs(shares * price) * feeBps / 1e4);
  }

  /**
   * Records `shares` (signed) of `asset` traded at `price` with an explicit `fee` (e.g. the fee
   * a broker reported on a fill); returns the fee. Same bookkeeping as `trade`. Throws
   * `UsageError` on a non-finite price, size or fee.
   */
  tradeWithFee(asset: number, shares: number, price: number, fee: number): number {
    if (!Number.isFinite(shares) || !Number.isFinite(price) || !Number.isFinite(fee)) {
      throw new UsageError(
        `PortfolioAccounting.tradeWithFee: asset #${asset}: non-finite trade ${shares} @ ${price} ` +
          `(fee ${fee})`,
      );
    }
    if (shares === 0) return 0;
    return this.#record(asset, shares, price, fee);
  }

  #record(asset: number, shares: number, price: number, fee: number): number {
    this.#traded = 1;
    const notional = shares * price;
    this.holdings[asset] = (this.holdings[asset] as number) + shares;
    this.tradeShares[asset] = (this.tradeShares[asset] as number) + shares;
    this.tradeNotional[asset] = (this.tradeNotional[asset] as number) + notional;
    this.fees[asset] = (this.fees[asset] as number) + fee;
    this.cash -= notional + fee;
    if (Number.isNaN(this.marks[asset] as number)) this.marks[asset] = price;
    return fee;
  }

  /** cash + Σ holdings × price, with an asset's last mark where `prices` is NaN. */
  netWealthAt(prices: ArrayLike<number>): number {
    let wealth = this.cash;
    for (let i = 0; i < this.numAssets; i++) {
      const h = this.holdings[i] as number;
      if (h === 0) continue;
      const p = prices[i] as number;
      wealth += h * (Number.isNaN(p) ? this.marks[i] as number : p);
    }
    return wealth;
  }

  /**
   * Ends a bar: marks the holdings at `closes` (NaN → last mark), fills the per-asset
   * `holdingsNotional` and `pnl`, records the bar into `options.ledger` if given, and returns
   * the bar's metrics (written into `options.out` if given).
   */
  markToMarket(closes: ArrayLike<number>, options: MarkToMarketOptions = {}): BarMetrics {
    const m = options.out ?? _emptyMetrics();
    const offset = options.offset ?? 0;
    const ledger = options.ledger;
    const n = this.numAssets;
    const holdings = this.holdings;
    const marks = this.marks;
    const tradeShares = this.tradeShares;
    const tradeNotional = this.tradeNotional;
    const feesPaid = this.fees;
    const values = this.holdingsNotional;
    const pnls = this.pnl;
    let pnl = 0, gross = 0, net = 0, gmv = 0, nmv = 0, fees = 0, numTrades = 0;
    for (let i = 0; i < n; i++) {
      const c = closes[offset + i] as number;
      if (c === c) marks[i] = c; // not NaN
      const h = holdings[i] as number;
      const value = h === 0 ? 0 : h * (marks[i] as number);
      const traded = tradeNotional[i] as number;
      const fee = feesPaid[i] as number;
      const assetPnl = value - (values[i] as number) - traded - fee;
      values[i] = value;
      pnls[i] = assetPnl;
      pnl += assetPnl;
      gross += Math.abs(traded);
      net += traded;
      gmv += Math.abs(value);
      nmv += value;
      fees += fee;
      const tradedShares = tradeShares[i] as number;
      if (tradedShares !== 0) numTrades++;
      if (ledger !== undefined) {
        const j = offset + i;
        ledger.holdingsShares[j] = h;
        ledger.holdingsNotional[j] = value;
        ledger.tradesShares[j] = tradedShares;
        ledger.tradesNotional[j] = traded;
        ledger.fees[j] = fee;
        ledger.pnl[j] = assetPnl;
      }
    }
    const wealth = this.cash + nmv;
    m.pnl = pnl;
    m.grossVolume = gross;
    m.netVolume = net;
    m.gmv = gmv;
    m.nmv = nmv;
    m.fees = fees;
    m.cash = this.cash;
    m.netWealth = wealth;
    m.leverage = wealth > 0 ? gmv / wealth : NaN;
    m.numTrades = numTrades;
    return m;
  }
}

function _emptyMetrics(): BarMetrics {
  return {
    pnl: 0,
    grossVolume: 0,
    netVolume: 0,
    gmv: 0,
    nmv: 0,
    fees: 0,
    cash: 0,
    netWealth: 0,
    leverage: NaN,
    numTrades: 0,
  };
}
