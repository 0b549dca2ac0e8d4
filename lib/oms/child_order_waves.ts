/**
 * Child order waves (REFERENCE "OMS", ccxt broker TWAP): the arithmetic of executing a parent
 * order as waves of child limit orders over its interval `[start, end)`.
 *
 * - **Wave times**: `t_k = first + k · executionFreqMs` for `k = 0, 1, …` while at least
 *   `minWaveRemainingMs` (4 s) remain before `end` — a wave with less time left is skipped.
 * - **Quantity** of wave k: `static` — the parent's amount divided by the number of waves, plus
 *   what earlier waves skipped (below the exchange minimum, no quote), capped by what remains;
 *   `dynamic` — everything that remains unfilled.
 * - **Limit price**: buy = bid·pf + ask·(1−pf), sell = ask·pf + bid·(1−pf), for the passivity
 *   factor pf in [0, 1] (0: cross the spread — marketable at the touch; 1: join the own side of
 *   the book), rounded to the tick away from crossing (buys down, sells up), and never worse
 *   than the parent's limit price when it has one.
 * - **Exchange limits**: the amount is rounded down to the amount step and capped at the
 *   maximum amount; a child under the minimum amount or with a notional at or under the minimum
 *   cost is skipped.
 */
import { UsageError } from "../errors/mod.ts";
import { type CcxtMarketRules, ceilToStep, floorToStep } from "./ccxt_exchange_limits.ts";

/** How child quantities are chosen (see the module doc). */
export type ChildQuantityMode = "static" | "dynamic";

/** A side of the book. */
export type ChildOrderSide = "buy" | "sell";

/** Options of `waveTimes`. */
export interface WaveTimesOptions {
  /** Time between waves, ms. Default: 60_000. */
  executionFreqMs?: number;
  /** A wave needs at least this long before the end, ms. Default: 4_000. */
  minWaveRemainingMs?: number;
}

/**
 * The wave times of an execution from `first` (the first wave) to `end` (exclusive), see the
 * module doc; empty when not even the first wave fits.
 */
export function waveTimes(first: number, end: number, options: WaveTimesOptions = {}): number[] {
  const { executionFreqMs = 60_000, minWaveRemainingMs = 4_000 } = options;
  if (!(Number.isFinite(executionFreqMs) && executionFreqMs > 0)) {
    throw new UsageError(`executionFreqMs must be a positive number of ms, got ${executionFreqMs}`);
  }
  if (!(Number.isFinite(minWaveRemainingMs) && minWaveRemainingMs >= 0)) {
    throw new UsageError(`minWaveRemainingMs must be >= 0 ms, got ${minWaveRemainingMs}`);
  }
  const out: number[] = [];
  for (let t = first; end - t >= minWaveRemainingMs && t < end; t += executionFreqMs) out.push(t);
  return out;
}

/** Input of `childQuantity`. */
export interface ChildQuantityInput {
  /** `static` or `dynamic`. */
  mode: ChildQuantityMode;
  /** The parent's total amount (positive). */
  total: number;
  /** Number of waves of the parent. */
  waves: number;
  /** What is still unfilled (positive or 0). */
  remaining: number;
  /** Amount skipped by earlier waves, carried into this one (static mode). */
  carried: number;
}

/** The amount (positive, unrounded) the next child should trade (see the module doc). */
export function childQuantity(input: ChildQuantityInput): number {
  const remaining = Math.max(0, input.remaining);
  if (input.mode === "dynamic") return remaining;
  const perWave = input.total / Math.max(1, input.waves);
  return Math.min(remaining, perWave + Math.max(0, input.carried));
}

/** Options of `childLimitPrice`. */
export interface ChildLimitPriceOptions {
  /** The price tick (undefined: no rounding). Default: none. */
  tick?: number | undefined;
  /** The parent's limit price: buys never above it, sells never below. Default: none. */
  limit?: number | undefined;
}

/**
 * The limit price of a child on `side` from the book's `bid` and `ask` and the passivity factor
 * (see the module doc). Throws `UsageError` for a factor outside [0, 1].
 */
export function childLimitPrice(
  side: ChildOrderSide,
  book: { bid: number; ask: number; passivity: number },
  options: ChildLimitPriceOptions = {},
): number {
  const { bid, ask, passivity: pf } = book;
  if (!(pf >= 0 && pf <= 1)) {
    throw new UsageError(`The passivity factor must be in [0, 1], got ${pf}`);
  }
  let price = side === "buy" ? bid * pf + ask * (1 - pf) : ask * pf + bid * (1 - pf);
  if (options.limit !== undefined) {
    price = side === "buy" ? Math.min(price, options.limit) : Math.max(price, options.limit);
  }
  return side === "buy" ? floorToStep(price, options.tick) : ceilToStep(price, options.tick);
}

/** A child amount after the exchange limits: `amount > 0`, or a reason to skip the wave. */
export type SizedChild = { amount: number; skip?: undefined } | { amount: 0; skip: string };

/**
 * `amount` rounded down to the amount step and capped at the maximum, or a skip reason when it
 * is under the minimum amount, or its notional at `price` is at or under the minimum cost.
 */
export function sizeChild(
  amount: number,
  price: number,
  rules: Pick<CcxtMarketRules, "amountStep" | "minAmount" | "maxAmount" | "minCost">,
): SizedChild {
  let a = floorToStep(Math.max(0, amount), rules.amountStep);
  if (rules.maxAmount !== undefined && a > rules.maxAmount) {
    a = floorToStep(rules.maxAmount, rules.amountStep);
  }
  if (!(a > 0)) {
    return { amount: 0, skip: `amount ${amount} rounds to 0 at step ${rules.amountStep}` };
  }
  if (rules.minAmount !== undefined && a < rules.minAmount) {
    return { amount: 0, skip: `amount ${a} is under the minimum amount ${rules.minAmount}` };
  }
  if (rules.minCost !== undefined && a * price <= rules.minCost) {
    return {
      amount: 0,
      skip: `notional ${a} × ${price} = ${
        a * price
      } is at or under the minimum cost ${rules.minCost}`,
    };
  }
  return { amount: a };
}
