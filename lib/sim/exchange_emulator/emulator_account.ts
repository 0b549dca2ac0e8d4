/**
 * `EmulatorAccount`: the balances of the emulated spot account, per asset `free` and `locked`
 * (locked: reserved by open orders), as Binance's `/api/v3/account` reports them.
 */
import { UsageError } from "../../errors/mod.ts";
import { BinanceErrors, REJECT_REASONS } from "./binance_api_error.ts";

/** The balance of one asset. */
export interface AssetBalance {
  /** Available for new orders. */
  free: number;
  /** Reserved by open orders. */
  locked: number;
}

/** Amounts below this are float noise and read as 0. */
const _EPS = 1e-12;

/** Balances per asset (free and locked), changed by the matching engine. */
export class EmulatorAccount {
  readonly #balances = new Map<string, AssetBalance>();
  #updateTime = 0;

  /**
   * Creates an account holding `initial` (free amounts per asset, e.g. `{USDT: 10000}`).
   * Throws `UsageError` for a negative or non-finite amount.
   */
  constructor(initial: Readonly<Record<string, number>> = {}) {
    for (const [asset, amount] of Object.entries(initial)) this.setFree(asset, amount);
  }

  /** When a balance last changed (epoch ms, as recorded by `touch`; 0 before any). */
  get updateTime(): number {
    return this.#updateTime;
  }

  /** The balance of `asset` (zeros when the account never held it). */
  balance(asset: string): AssetBalance {
    const b = this.#balances.get(asset);
    return b === undefined ? { free: 0, locked: 0 } : { ...b };
  }

  /** Every asset the account holds or held, sorted by name. */
  balances(): [string, AssetBalance][] {
    return [...this.#balances.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([asset, b]) => [asset, { ...b }]);
  }

  /** Sets the free amount of `asset` (a deposit or a test setup); locked amounts are kept. */
  setFree(asset: string, amount: number): void {
    if (!(Number.isFinite(amount) && amount >= 0)) {
      throw new UsageError(`Balance of ${asset} must be a non-negative number, got ${amount}`);
    }
    this.#get(asset).free = amount;
  }

  /** Records that a balance changed at `now` (reported as the account's `updateTime`). */
  touch(now: number): void {
    this.#updateTime = now;
  }

  /** Moves `amount` from free to locked; throws -2010 "insufficient balance" when free is short. */
  lock(asset: string, amount: number): void {
    const b = this.#get(asset);
    if (b.free + _EPS * Math.max(1, amount) < amount) {
      throw BinanceErrors.orderRejected(REJECT_REASONS.insufficientBalance);
    }
    b.free = _clean(b.free - amount);
    b.locked = _clean(b.locked + amount);
  }

  /** Moves `amount` from locked back to free (a cancel, or what a fill did not use). */
  unlock(asset: string, amount: number): void {
    const b = this.#get(asset);
    b.locked = _clean(b.locked - amount);
    b.free = _clean(b.free + amount);
  }

  /** Removes `amount` from locked (paid by a fill of an open order). */
  spendLocked(asset: string, amount: number): void {
    const b = this.#get(asset);
    b.locked = _clean(b.locked - amount);
  }

  /** Checks that `amount` of `asset` is free; throws -2010 "insufficient balance" otherwise. */
  requireFree(asset: string, amount: number): void {
    const b = this.#balances.get(asset);
    if ((b?.free ?? 0) + _EPS * Math.max(1, amount) < amount) {
      throw BinanceErrors.orderRejected(REJECT_REASONS.insufficientBalance);
    }
  }

  /** Adds `delta` (may be negative: a payment) to the free amount of `asset`. */
  addFree(asset: string, delta: number): void {
    const b = this.#get(asset);
    b.free = _clean(b.free + delta);
  }

  #get(asset: string): AssetBalance {
    let b = this.#balances.get(asset);
    if (b === undefined) {
      b = { free: 0, locked: 0 };
      this.#balances.set(asset, b);
    }
    return b;
  }
}

/** Rounds to 10 decimals (finer than Binance's 8) so float noise does not accumulate or go negative. */
function _clean(x: number): number {
  const r = Number(x.toFixed(10));
  return Math.abs(r) < _EPS ? 0 : r;
}
