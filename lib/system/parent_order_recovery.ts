/**
 * `recoverParentOrders`: the outcome of parent orders that an earlier session of a run left
 * open (it was killed, or its last bar was never committed), read from the exchange.
 *
 * For each parent, every client order id its children may have (from the broker journal, and
 * any open exchange order carrying the parent's client-id prefix) is looked up
 * (`fetchOrder` with `origClientOrderId`): an unknown id never reached the exchange; an open
 * child is cancelled (a refused cancel is resolved by fetching the order again); a child that
 * traded has its trades fetched (`fetchOrderTrades`) until they add up to its filled amount.
 * The trades, deduplicated by id, are folded as the `CcxtBroker` folds them — ONE fill per
 * parent: shares = Σ signed amounts, price = Σ cost / Σ amount, fee = Σ fees in the quote
 * currency (a base-currency fee × the trade price), time = the last trade's — and the parent
 * ends `filled` (within half an amount step of its size) or `cancelled`.
 *
 * Nothing is created on the exchange; every call is retried on the clock (`withRetries`) and a
 * failure that retrying cannot fix aborts the recovery (the run must not trade on an unknown
 * state). So a restart never places a second order for a parent and never loses its fills.
 */
import { BrokerError, NetworkBrokerError } from "../errors/mod.ts";
import {
  type CcxtBrokerExchange,
  ccxtMarketRules,
  Fill,
  type IdCounter,
  type Order,
} from "../oms/mod.ts";
import {
  ccxtErrorClasses,
  type Clock,
  type RetryPolicy,
  translateCcxtError,
  withRetries,
} from "../sim/mod.ts";

/** A parent order to recover. */
export interface ParentToRecover {
  /** The order, in its last known open state (it is moved to its final state). */
  order: Order;
  /** The ccxt symbol it trades (`BTC/USDT`). */
  symbol: string;
  /** Client order ids its children may have on the exchange. */
  clientOrderIds: readonly string[];
}

/** What became of one child order. */
export interface RecoveredChild {
  /** Client order id. */
  clientOrderId: string;
  /** Whether the exchange knows it. */
  found: boolean;
  /** Exchange order id, when found. */
  exchangeOrderId: string | undefined;
  /** Whether the recovery cancelled it (it was still open). */
  cancelled: boolean;
  /** Amount filled (base units). */
  filled: number;
}

/** What became of one parent. */
export interface RecoveredParent {
  /** The parent, now `filled` or `cancelled`. */
  order: Order;
  /** Its one fill, when anything traded. */
  fill: Fill | undefined;
  /** Its children. */
  children: RecoveredChild[];
}

/** Options of `recoverParentOrders`. */
export interface RecoverParentOrdersOptions {
  /** The clock retries sleep on and fills are stamped with when a trade has no time. Required. */
  clock: Clock;
  /** The run's fill id counter (the recovered fills take the next ids). Required. */
  fillIds: IdCounter;
  /** Retry policy of each exchange call. Default: `{ maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 }`. */
  retry?: RetryPolicy | undefined;
  /** Aborts the retries' sleeps. Default: none. */
  signal?: AbortSignal | undefined;
  /** Receives a line per child and per parent (for log.txt). Default: none. */
  log?: ((line: string) => void) | undefined;
}

const _DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000 };

interface _Trade {
  amount: number;
  price: number;
  cost: number;
  fee: number;
  timestamp: number;
}

/**
 * Recovers `parents` in order (see the module documentation). Throws the exchange's error
 * (`BrokerError`, `ConfigError`) when a child cannot be resolved after the retries.
 */
export async function recoverParentOrders(
  exchange: CcxtBrokerExchange,
  parents: readonly ParentToRecover[],
  options: RecoverParentOrdersOptions,
): Promise<RecoveredParent[]> {
  const out: RecoveredParent[] = [];
  for (const p of parents) out.push(await _recoverParent(exchange, p, options));
  return out;
}

async function _recoverParent(
  exchange: CcxtBrokerExchange,
  p: ParentToRecover,
  o: RecoverParentOrdersOptions,
): Promise<RecoveredParent> {
  const rules = ccxtMarketRules(exchange, p.symbol);
  const market = (exchange.markets?.[p.symbol] ?? {}) as { base?: unknown; quote?: unknown };
  const trades = new Map<string, _Trade>();
  const children: RecoveredChild[] = [];
  const call = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    withRetries(async () => {
      try {
        return await fn();
      } catch (error) {
        throw translateCcxtError(error, {
          what: `Cannot ${what} on ${exchange.id}`,
          responseHeaders: exchange.last_response_headers,
          now: o.clock.now(),
        });
      }
    }, {
      clock: o.clock,
      what: `${what} (recovering parent order ${p.order.id})`,
      policy: o.retry ?? _DEFAULT_RETRY,
      signal: o.signal,
    });

  for (const cid of [...new Set(p.clientOrderIds)]) {
    let raw: _Order | undefined;
    try {
      raw = _order(
        await call(
          `look up order ${cid}`,
          () => exchange.fetchOrder(cid, p.symbol, { origClientOrderId: cid }),
        ),
      );
    } catch (error) {
      if (!_isNotFound(error)) throw error;
      raw = undefined;
    }
    if (raw === undefined) {
      children.push({
        clientOrderId: cid,
        found: false,
        exchangeOrderId: undefined,
        cancelled: false,
        filled: 0,
      });
      o.log?.(`recovery: child ${cid} of parent ${p.order.id} never reached the exchange`);
      continue;
    }
    const id = raw.id;
    let cancelled = false;
    if (raw.status === "open") {
      try {
        raw = _order(await call(`cancel order ${cid}`, () => exchange.cancelOrder(id, p.symbol)));
        cancelled = true;
      } catch (error) {
        if (!_isNotFound(error) && !(error instanceof BrokerError && !error.retryable)) throw error;
      }
      if (raw.status === "open") {
        raw = _order(await call(`fetch order ${cid}`, () => exchange.fetchOrder(id, p.symbol)));
        if (raw.status === "open") {
          throw new NetworkBrokerError(
            `Child order ${cid} of parent order ${p.order.id} is still open on ${exchange.id} ` +
              `after its cancel; cancel it by hand and start again`,
          );
        }
      }
    }
    const filled = raw.filled;
    if (filled > 0) {
      const eps = rules.amountStep !== undefined ? rules.amountStep / 2 : filled * 1e-9;
      await call(`fetch the trades of order ${cid}`, async () => {
        const list = await exchange.fetchOrderTrades(id, p.symbol);
        let sum = 0;
        for (const t of Array.isArray(list) ? list : []) {
          const trade = _trade(t, id, market, o.clock.now());
          if (trade === undefined) continue;
          trades.set(`${p.symbol}:${trade.id}`, trade.trade);
        }
        for (const [key, t] of trades) if (key.startsWith(`${p.symbol}:${id}#`)) sum += t.amount;
        if (sum < filled - eps) {
          throw new NetworkBrokerError(
            `the trades of child order ${cid} add up to ${sum}, its filled amount is ${filled}`,
          );
        }
      });
    }
    children.push({ clientOrderId: cid, found: true, exchangeOrderId: id, cancelled, filled });
    o.log?.(
      `recovery: child ${cid} of parent ${p.order.id}: ${raw.status}${
        cancelled ? " (cancelled now)" : ""
      }, filled ${filled}`,
    );
  }

  let amount = 0;
  let cost = 0;
  let fee = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of trades.values()) {
    amount += t.amount;
    cost += t.cost;
    fee += t.fee;
    last = Math.max(last, t.timestamp);
  }
  const side = p.order.diffShares > 0 ? 1 : -1;
  const fill = amount > 0
    ? Fill.create(o.fillIds, {
      orderId: p.order.id,
      assetId: p.order.assetId,
      timestamp: last,
      shares: side * amount,
      price: cost / amount,
      fee,
    })
    : undefined;
  const total = Math.abs(p.order.diffShares);
  const eps = rules.amountStep !== undefined ? rules.amountStep / 2 : total * 1e-9;
  const state = total - amount <= eps ? "filled" : "cancelled";
  if (p.order.state === "submitted" && state === "filled") p.order.transition("accepted");
  p.order.transition(state);
  o.log?.(
    `recovery: parent order ${p.order.id} (${p.symbol}) is ${state}: ${amount} of ${total} ` +
      `filled over ${children.filter((c) => c.found).length} child order(s)`,
  );
  return { order: p.order, fill, children };
}

interface _Order {
  id: string;
  status: string;
  filled: number;
}

function _order(raw: unknown): _Order {
  const o = (raw ?? {}) as { id?: unknown; status?: unknown; filled?: unknown };
  const filled = typeof o.filled === "number" && Number.isFinite(o.filled) ? o.filled : 0;
  return {
    id: String(o.id),
    status: typeof o.status === "string" ? o.status : "open",
    filled,
  };
}

function _trade(
  raw: unknown,
  orderId: string,
  market: { base?: unknown; quote?: unknown },
  now: number,
): { id: string; trade: _Trade } | undefined {
  const t = (raw ?? {}) as {
    id?: unknown;
    order?: unknown;
    timestamp?: unknown;
    amount?: unknown;
    price?: unknown;
    cost?: unknown;
    fee?: { cost?: unknown; currency?: unknown } | undefined;
  };
  if (t.order !== undefined && t.order !== null && String(t.order) !== orderId) return undefined;
  const amount = _num(t.amount);
  const price = _num(t.price);
  if (!(amount > 0 && price > 0)) return undefined;
  const c = _num(t.cost);
  const cost = Number.isFinite(c) && c > 0 ? c : amount * price;
  let fee = 0;
  const feeCost = _num(t.fee?.cost);
  if (Number.isFinite(feeCost) && feeCost !== 0) {
    const currency = t.fee?.currency;
    if (currency === market.quote || currency === undefined) fee = feeCost;
    else if (currency === market.base) fee = feeCost * price;
  }
  const ts = _num(t.timestamp);
  return {
    id: `${orderId}#${String(t.id)}`,
    trade: { amount, price, cost, fee, timestamp: Number.isFinite(ts) ? ts : now },
  };
}

/** Whether a (translated) error says the order does not exist. */
function _isNotFound(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const classes = [...ccxtErrorClasses(error), ...ccxtErrorClasses(cause)];
  if (classes.includes("OrderNotFound")) return true;
  const text = error instanceof Error ? error.message : String(error);
  return /-2013|-2011|Order does not exist|Unknown order sent/i.test(text);
}

function _num(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
}
