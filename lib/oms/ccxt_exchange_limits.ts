/**
 * Exchange limits from ccxt markets (DESIGN §8, REFERENCE "OMS"): per market, the minimum
 * amount (`limits.amount.min`), the minimum cost (`limits.cost.min`, Binance's min notional),
 * the maximum amount, the amount step and the price tick (`precision.amount` /
 * `precision.price`, read according to the exchange's `precisionMode`: a step in `TICK_SIZE`
 * mode — binance — or decimal places in `DECIMAL_PLACES` mode).
 *
 * Two views: `ccxtMarketRules` (steps and ticks, what the ccxt broker rounds child orders with)
 * and `ccxtExchangeLimits` (the `ExchangeLimits` the Optimizer applies to trades, keyed by asset
 * id; the amount step becomes decimal places). Also the step rounding helpers the broker uses.
 */
import { DataError } from "../errors/mod.ts";
import { assetIdOf, ccxtSymbolOf, fullSymbolOf } from "../sim/mod.ts";
import type { ExchangeLimits } from "./exchange_limits.ts";

/** ccxt's `precisionMode` values (ccxt `DECIMAL_PLACES`, `SIGNIFICANT_DIGITS`, `TICK_SIZE`). */
export const CCXT_PRECISION_MODES = {
  decimalPlaces: 2,
  significantDigits: 3,
  tickSize: 4,
} as const;

/** The part of a ccxt exchange the limits are read from (after `loadMarkets`). */
export interface CcxtMarketsSource {
  /** The ccxt exchange id (`binance`). */
  readonly id: string;
  /** Markets by ccxt symbol. */
  readonly markets?: Readonly<Record<string, unknown>> | undefined;
  /** ccxt's precision mode (see `CCXT_PRECISION_MODES`). Default when absent: decimal places. */
  readonly precisionMode?: number | undefined;
}

/** One market's trading rules, as the ccxt broker uses them. Absent = no rule. */
export interface CcxtMarketRules {
  /** The ccxt symbol (`BTC/USDT`). */
  symbol: string;
  /** Amounts must be multiples of this (base units). */
  amountStep: number | undefined;
  /** Prices must be multiples of this (quote units). */
  priceTick: number | undefined;
  /** Minimum amount of an order (base units). */
  minAmount: number | undefined;
  /** Maximum amount of an order (base units). */
  maxAmount: number | undefined;
  /** Minimum notional (amount × price) of an order, quote units. */
  minCost: number | undefined;
}

/**
 * The rules of `symbol` (a ccxt symbol) read from `exchange.markets`. Throws `DataError` when the
 * markets are not loaded or do not have the symbol.
 */
export function ccxtMarketRules(exchange: CcxtMarketsSource, symbol: string): CcxtMarketRules {
  const market = exchange.markets?.[symbol];
  if (market === undefined || market === null || typeof market !== "object") {
    const n = Object.keys(exchange.markets ?? {}).length;
    throw new DataError(
      `No market ${symbol} on ${exchange.id} (${n} markets loaded)` +
        (n === 0 ? "; load the markets first" : "; check the symbols"),
    );
  }
  const m = market as {
    precision?: { amount?: unknown; price?: unknown };
    limits?: { amount?: { min?: unknown; max?: unknown }; cost?: { min?: unknown } };
  };
  const mode = exchange.precisionMode ?? CCXT_PRECISION_MODES.decimalPlaces;
  return {
    symbol,
    amountStep: _step(m.precision?.amount, mode),
    priceTick: _step(m.precision?.price, mode),
    minAmount: _positive(m.limits?.amount?.min),
    maxAmount: _positive(m.limits?.amount?.max),
    minCost: _positive(m.limits?.cost?.min),
  };
}

/**
 * The `ExchangeLimits` of each of `symbols` (ccxt symbols `BTC/USDT` or full symbols
 * `binance::BTC_USDT`), keyed by asset id, for the Optimizer: min amount, min cost, and the
 * amount step as decimal places (`stepDecimals`).
 */
export function ccxtExchangeLimits(
  exchange: CcxtMarketsSource,
  symbols: readonly string[],
): Map<number, ExchangeLimits> {
  const out = new Map<number, ExchangeLimits>();
  for (const s of symbols) {
    const full = s.includes("::") ? s : fullSymbolOf(exchange.id, s);
    const rules = ccxtMarketRules(exchange, ccxtSymbolOf(full));
    const limits: ExchangeLimits = {};
    if (rules.minAmount !== undefined) limits.minAmount = rules.minAmount;
    if (rules.minCost !== undefined) limits.minCost = rules.minCost;
    if (rules.amountStep !== undefined) limits.amountPrecision = stepDecimals(rules.amountStep);
    out.set(assetIdOf(full), limits);
  }
  return out;
}

/**
 * Decimal places of a step: 0.001 → 3, 1 → 0, 100 → −2. A step that is not a power of ten is
 * rounded to the coarser power of ten (0.5 → 0, 0.025 → 1), which is a multiple of it for the
 * usual steps (1, 2, 2.5 and 5 times a power of ten).
 */
export function stepDecimals(step: number): number {
  if (!(Number.isFinite(step) && step > 0)) {
    throw new DataError(`A precision step must be a positive number, got ${step}`);
  }
  return Math.floor(-Math.log10(step) + 1e-9);
}

/** `x` rounded down to a multiple of `step` (no step: `x`), as a clean decimal number. */
export function floorToStep(x: number, step: number | undefined): number {
  if (step === undefined) return x;
  return _clean(Math.floor(x / step + 1e-9) * step, step);
}

/** `x` rounded up to a multiple of `step` (no step: `x`), as a clean decimal number. */
export function ceilToStep(x: number, step: number | undefined): number {
  if (step === undefined) return x;
  return _clean(Math.ceil(x / step - 1e-9) * step, step);
}

/** Removes binary noise: a multiple of `step` printed with the step's decimals. */
function _clean(x: number, step: number): number {
  const decimals = Math.min(20, Math.max(0, stepDecimals(step) + 2));
  return Number(x.toFixed(decimals));
}

function _step(value: unknown, mode: number): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  if (mode === CCXT_PRECISION_MODES.tickSize) return value > 0 ? value : undefined;
  if (mode === CCXT_PRECISION_MODES.decimalPlaces) {
    return Number.isInteger(value) ? Number((10 ** -value).toPrecision(12)) : undefined;
  }
  return undefined;
}

function _positive(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}
