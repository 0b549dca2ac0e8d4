/**
 * Exchange limits (REFERENCE "OMS"): a trade is rounded toward zero to the asset's amount
 * precision, then zeroed when its |amount| is under the minimum amount or its notional
 * (|amount| × price) is at most the minimum cost. Limits come per asset, e.g. from ccxt's
 * `market.limits.amount.min`, `market.limits.cost.min` and `market.precision.amount` (in
 * decimal places: a tick size of 0.001 is 3).
 */
import { UsageError } from "../errors/mod.ts";

/** One asset's exchange limits. Every field is optional (absent = no limit). */
export interface ExchangeLimits {
  /** Minimum |amount| of an order, in shares (base units). Default: none. */
  minAmount?: number | undefined;
  /** An order's notional must be greater than this, quote currency. Default: none. */
  minCost?: number | undefined;
  /** Decimal places of an order's amount (negative: lots of 10^−p). Default: none. */
  amountPrecision?: number | undefined;
}

/** Relative slack under which a scaled amount counts as an exact multiple of the precision. */
const _SLACK = 1e-9;

/**
 * The trade of `shares` (signed) at `price` after `limits`: rounded toward zero to
 * `amountPrecision` (amounts within 1e-9 relative of a multiple count as that multiple, so
 * 0.29 stays 0.29 despite 0.29 × 100 = 28.999…), then 0 when `|amount| < minAmount` or when
 * `|amount| × price <= minCost` (not checked when the price is unknown). No limits → `shares`.
 */
export function applyExchangeLimits(
  shares: number,
  price: number,
  limits: ExchangeLimits | undefined,
): number {
  if (limits === undefined || shares === 0 || !Number.isFinite(shares)) return shares;
  let amount = Math.abs(shares);
  const p = limits.amountPrecision;
  if (p !== undefined) {
    if (!Number.isInteger(p)) {
      throw new UsageError(`Exchange limits: amountPrecision must be an integer, got ${p}`);
    }
    const scale = 10 ** Math.abs(p);
    const scaled = p >= 0 ? amount * scale : amount / scale;
    const nearest = Math.round(scaled);
    const units = Math.abs(scaled - nearest) <= _SLACK * Math.max(1, nearest)
      ? nearest
      : Math.floor(scaled);
    amount = p >= 0 ? units / scale : units * scale;
  }
  if (amount === 0) return 0;
  if (limits.minAmount !== undefined && amount < limits.minAmount) return 0;
  if (limits.minCost !== undefined && Number.isFinite(price) && amount * price <= limits.minCost) {
    return 0;
  }
  if (p === undefined) return shares;
  return shares < 0 ? -amount : amount;
}
