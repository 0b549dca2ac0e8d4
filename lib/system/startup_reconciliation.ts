/**
 * Startup reconciliation of a prod run: before trading, the positions the OMS database expects
 * (the portfolio after its last committed bar, plus the fills recovered for the orders an
 * earlier session left open) are compared with the exchange's balances, and the exchange's open
 * orders on the universe are listed (`fetchExchangeState` → `reconcileStartup`).
 *
 * Positions are compared per currency: the expected amount of a currency is the sum of the
 * expected holdings of the assets whose base it is (`BTC` for `BTC/USDT`), the exchange's is its
 * total balance (free + locked). They match within max(half the market's amount step,
 * `relativeTolerance` × the larger of the two). A fresh run expects zero of every base
 * currency. Open orders on the universe are mismatches too: the run's own (client id with the
 * run's prefix) should have been resolved by the recovery, and another party's orders lock
 * balances and may change the positions.
 *
 * The quote currency is reported, not compared: the portfolio's cash is the strategy's budget,
 * not the account's balance.
 */
import type { CcxtMarketsSource } from "../oms/mod.ts";
import { type Clock, type RetryPolicy, translateCcxtError, withRetries } from "../sim/mod.ts";

/** The calls the reconciliation makes (a ccxt exchange after `loadMarkets`). */
export interface ReconciliationExchange extends CcxtMarketsSource {
  /** Headers of the last HTTP response (for `Retry-After`). */
  readonly last_response_headers?: Readonly<Record<string, unknown>> | undefined;
  /** The account's balances. */
  fetchBalance(params?: Record<string, unknown>): Promise<unknown>;
  /** Open orders of `symbol`. */
  fetchOpenOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<unknown>;
}

/** An open order on the exchange. */
export interface ExchangeOpenOrder {
  /** ccxt symbol. */
  symbol: string;
  /** Exchange order id. */
  id: string;
  /** Client order id, when the exchange reports one. */
  clientOrderId: string | undefined;
  /** `buy` / `sell`. */
  side: string;
  /** Amount ordered. */
  amount: number;
  /** Amount filled so far. */
  filled: number;
}

/** What the exchange holds. */
export interface ExchangeState {
  /** Total balance (free + locked) per currency. */
  balances: ReadonlyMap<string, number>;
  /** Open orders on the universe's symbols. */
  openOrders: readonly ExchangeOpenOrder[];
}

/** Options of `fetchExchangeState`. */
export interface FetchExchangeStateOptions {
  /** The clock retries sleep on. Required. */
  clock: Clock;
  /** Retry policy of each call. Default: `{ maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 }`. */
  retry?: RetryPolicy | undefined;
  /** Aborts the retries' sleeps. Default: none. */
  signal?: AbortSignal | undefined;
}

const _DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 };

/** Reads the balances (`fetchBalance`) and the open orders of `symbols` (`fetchOpenOrders`). */
export async function fetchExchangeState(
  exchange: ReconciliationExchange,
  symbols: readonly string[],
  options: FetchExchangeStateOptions,
): Promise<ExchangeState> {
  const call = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    withRetries(async () => {
      try {
        return await fn();
      } catch (error) {
        throw translateCcxtError(error, {
          what: `Cannot ${what} on ${exchange.id}`,
          responseHeaders: exchange.last_response_headers,
          now: options.clock.now(),
        });
      }
    }, {
      clock: options.clock,
      what: `${what} (startup reconciliation)`,
      policy: options.retry ?? _DEFAULT_RETRY,
      signal: options.signal,
    });
  const raw = (await call("fetch the balances", () => exchange.fetchBalance())) as {
    total?: Record<string, unknown>;
  } | undefined;
  const balances = new Map<string, number>();
  for (const [currency, value] of Object.entries(raw?.total ?? {})) {
    const n = typeof value === "number" ? value : Number(value);
    if (Number.isFinite(n)) balances.set(currency, n);
  }
  const openOrders: ExchangeOpenOrder[] = [];
  for (const symbol of symbols) {
    const list = await call(
      `fetch the open orders of ${symbol}`,
      () => exchange.fetchOpenOrders(symbol),
    );
    for (const item of Array.isArray(list) ? list : []) {
      const o = (item ?? {}) as Record<string, unknown>;
      openOrders.push({
        symbol,
        id: String(o.id),
        clientOrderId: typeof o.clientOrderId === "string" ? o.clientOrderId : undefined,
        side: String(o.side),
        amount: Number(o.amount),
        filled: Number(o.filled ?? 0),
      });
    }
  }
  return { balances, openOrders };
}

/** One asset of the universe, as the reconciliation sees it. */
export interface ReconciledAsset {
  /** Asset id. */
  assetId: number;
  /** ccxt symbol (`BTC/USDT`). */
  symbol: string;
  /** Base currency (`BTC`). */
  base: string;
  /** Quote currency (`USDT`). */
  quote: string;
  /** The market's amount step, when known. */
  amountStep: number | undefined;
}

/** Inputs of `reconcileStartup`. */
export interface ReconcileStartupInput {
  /** Expected holdings by asset id (absent: 0). Required. */
  expected: ReadonlyMap<number, number>;
  /** The universe. Required. */
  assets: readonly ReconciledAsset[];
  /** What the exchange holds. Required. */
  state: ExchangeState;
  /** Client order ids of the run's own orders start with this. Required. */
  clientOrderIdPrefix: string;
  /** The portfolio's cash (reported beside the quote balance). Default: not reported. */
  cash?: number | undefined;
  /** Relative tolerance of a position match. Default: 1e-9. */
  relativeTolerance?: number | undefined;
}

/** One currency's comparison. */
export interface PositionCheck {
  /** The currency (`BTC`). */
  currency: string;
  /** The assets whose base it is. */
  assetIds: number[];
  /** Their symbols. */
  symbols: string[];
  /** What the OMS expects. */
  expected: number;
  /** What the exchange holds. */
  exchange: number;
  /** exchange − expected. */
  difference: number;
  /** The largest difference that still matches. */
  tolerance: number;
  /** Whether they match. */
  match: boolean;
}

/** The outcome of the startup reconciliation. */
export interface StartupReconciliation {
  /** Per base currency, in currency order. */
  positions: PositionCheck[];
  /** Open orders of the run that the recovery did not resolve. */
  ownOpenOrders: ExchangeOpenOrder[];
  /** Open orders of another party on the universe. */
  foreignOpenOrders: ExchangeOpenOrder[];
  /** One line per mismatch (empty when everything matches). */
  mismatches: string[];
  /** Lines for the log: every comparison, and the quote balances. */
  lines: string[];
  /** Whether everything matches. */
  ok: boolean;
}

/** Compares the OMS's expectation with the exchange (see the module documentation). */
export function reconcileStartup(input: ReconcileStartupInput): StartupReconciliation {
  const rel = input.relativeTolerance ?? 1e-9;
  const byCurrency = new Map<string, ReconciledAsset[]>();
  for (const a of input.assets) {
    byCurrency.set(a.base, [...(byCurrency.get(a.base) ?? []), a]);
  }
  const positions: PositionCheck[] = [];
  const mismatches: string[] = [];
  const lines: string[] = [];
  for (const currency of [...byCurrency.keys()].sort()) {
    const assets = byCurrency.get(currency) as ReconciledAsset[];
    let expected = 0;
    for (const a of assets) expected += input.expected.get(a.assetId) ?? 0;
    const exchange = input.state.balances.get(currency) ?? 0;
    const difference = exchange - expected;
    const steps = assets.map((a) => a.amountStep).filter((s): s is number => s !== undefined);
    const tolerance = Math.max(
      steps.length > 0 ? Math.min(...steps) / 2 : 0,
      rel * Math.max(Math.abs(expected), Math.abs(exchange)),
      1e-12,
    );
    const match = Math.abs(difference) <= tolerance;
    const symbols = assets.map((a) => a.symbol);
    positions.push({
      currency,
      assetIds: assets.map((a) => a.assetId),
      symbols,
      expected,
      exchange,
      difference,
      tolerance,
      match,
    });
    const line = `${currency} (${symbols.join(", ")}): OMS expects ${expected}, the exchange ` +
      `holds ${exchange} (difference ${difference})`;
    lines.push(`${match ? "match" : "MISMATCH"}: ${line}`);
    if (!match) mismatches.push(line);
  }
  const own: ExchangeOpenOrder[] = [];
  const foreign: ExchangeOpenOrder[] = [];
  for (const o of input.state.openOrders) {
    if (o.clientOrderId?.startsWith(input.clientOrderIdPrefix)) own.push(o);
    else foreign.push(o);
  }
  for (const o of own) {
    const line = `open order ${o.clientOrderId} (${o.symbol} ${o.side} ${o.amount}, filled ` +
      `${o.filled}) belongs to this run but the OMS does not know it`;
    mismatches.push(line);
    lines.push(`MISMATCH: ${line}`);
  }
  for (const o of foreign) {
    const line = `open order ${o.id}${
      o.clientOrderId === undefined ? "" : ` (client id ${o.clientOrderId})`
    } on ${o.symbol} (${o.side} ${o.amount}, filled ${o.filled}) is not this run's`;
    mismatches.push(line);
    lines.push(`MISMATCH: ${line}`);
  }
  const quotes = [...new Set(input.assets.map((a) => a.quote))].sort();
  for (const q of quotes) {
    lines.push(
      `quote ${q}: the exchange holds ${input.state.balances.get(q) ?? 0}` +
        (input.cash === undefined ? "" : `; the portfolio's cash is ${input.cash}`) +
        " (not compared)",
    );
  }
  return {
    positions,
    ownOpenOrders: own,
    foreignOpenOrders: foreign,
    mismatches,
    lines,
    ok: mismatches.length === 0,
  };
}
