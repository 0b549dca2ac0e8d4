/**
 * `MatchingEngine`: the orders, trades and matching of the emulated venue.
 *
 * - **Reference prices**: bid/ask = the last known close ∓ `halfSpreadBps` (rounded outwards to
 *   the tick). No bar known yet → new orders are rejected (-2010 "Market is closed.").
 * - **MARKET** orders fill at once and in full at the ask (buy) or bid (sell), taker fee; a
 *   `quoteOrderQty` market order buys/sells `floor(quoteOrderQty / price)` to the step size.
 * - **LIMIT** orders: a marketable one (buy limit ≥ ask, sell limit ≤ bid) fills at once and in
 *   full at the ask/bid as taker (IOC/FOK likewise; a non-marketable IOC/FOK expires). A resting
 *   GTC order fills on the later bars that trade through it — buy when `low ≤ limit`, sell when
 *   `high ≥ limit`, at the limit price, maker fee — bars whose end is after the order's creation
 *   time, in bar order. Each bar fills at most `volumeShare` × its volume per side (shared by the
 *   orders in price-then-time priority); the rest stays open for the following bars.
 * - **Fees** are charged in the quote asset for simplicity (Binance charges the received asset by
 *   default): a buy pays `price × qty × (1 + fee)`, a sell receives `price × qty × (1 − fee)`.
 * - **Funds**: a resting buy locks `price × qty × (1 + makerFee)` quote, a resting sell locks
 *   `qty` base; fills spend the lock, cancels release it. Short funds → -2010 "Account has
 *   insufficient balance for requested action.".
 * - **Idempotency**: a `newClientOrderId` the engine already knows (open or not) is rejected with
 *   -2010 "Duplicate order sent." (Binance checks only open orders; the emulator is stricter so
 *   a resubmission never doubles an order).
 * - **Time**: `tick(now)` replays, in bar order, every bar that became known since the last tick
 *   and fills resting orders against it. Matching therefore depends only on the bars and the
 *   order times, never on when requests arrive; the emulator calls `tick` before every request.
 */
import { BinanceErrors, REJECT_REASONS } from "./binance_api_error.ts";
import type { EmulatorAccount } from "./emulator_account.ts";
import type { EmulatorMarket } from "./emulator_market.ts";
import { checkLotSize, checkNotional, checkPriceFilter } from "./market_filters.ts";
import { _ceilTo, _floorTo } from "./_format.ts";

/** Options of `MatchingEngine`. */
export interface MatchingOptions {
  /** Half the bid-ask spread around the last close, basis points. Default: 1. */
  halfSpreadBps?: number;
  /** Fee of resting (maker) fills, basis points of the traded value. Default: 10. */
  makerFeeBps?: number;
  /** Fee of immediate (taker) fills, basis points of the traded value. Default: 10. */
  takerFeeBps?: number;
  /** Largest share of a bar's volume that resting orders of one side may fill. Default: 0.1. */
  volumeShare?: number;
}

/** Order side. */
export type OrderSide = "BUY" | "SELL";
/** Order types the emulator serves. */
export type OrderType = "MARKET" | "LIMIT";
/** Time in force of a limit order. */
export type TimeInForce = "GTC" | "IOC" | "FOK";
/** Binance order statuses the emulator uses. */
export type OrderStatus = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";

/** A new order, parsed from the request. */
export interface NewOrder {
  /** Binance symbol (`BTCUSDT`). */
  symbol: string;
  /** BUY or SELL. */
  side: OrderSide;
  /** MARKET or LIMIT. */
  type: OrderType;
  /** LIMIT only (required there). */
  timeInForce?: TimeInForce | undefined;
  /** Base quantity (required except for a MARKET order with `quoteOrderQty`). */
  quantity?: number | undefined;
  /** MARKET only: the quote amount to spend or receive instead of `quantity`. */
  quoteOrderQty?: number | undefined;
  /** LIMIT only (required there). */
  price?: number | undefined;
  /** Client order id; generated when absent. */
  newClientOrderId?: string | undefined;
}

/** An order as the engine keeps it. */
export interface EmulatorOrder {
  /** Exchange order id (1, 2, …). */
  orderId: number;
  /** Client order id. */
  clientOrderId: string;
  /** Binance symbol. */
  symbol: string;
  /** Side. */
  side: OrderSide;
  /** Type. */
  type: OrderType;
  /** Time in force (`GTC` for market orders, as Binance reports them). */
  timeInForce: TimeInForce;
  /** Limit price (0 for market orders). */
  price: number;
  /** Ordered base quantity. */
  origQty: number;
  /** Filled base quantity. */
  executedQty: number;
  /** Filled quote value (Σ price × qty, fees excluded). */
  cummulativeQuoteQty: number;
  /** Requested quote amount of a `quoteOrderQty` market order (else 0). */
  origQuoteOrderQty: number;
  /** Status. */
  status: OrderStatus;
  /** Creation time, epoch ms. */
  time: number;
  /** Last change, epoch ms. */
  updateTime: number;
  /** Ids of the order's trades. */
  tradeIds: number[];
  /** Funds still locked by the order (quote for buys, base for sells). */
  locked: number;
}

/** A fill. */
export interface EmulatorTrade {
  /** Trade id (1, 2, …). */
  id: number;
  /** The filled order. */
  orderId: number;
  /** Binance symbol. */
  symbol: string;
  /** The order's side. */
  side: OrderSide;
  /** Fill price. */
  price: number;
  /** Base quantity. */
  qty: number;
  /** price × qty. */
  quoteQty: number;
  /** Fee, in `commissionAsset`. */
  commission: number;
  /** The quote asset. */
  commissionAsset: string;
  /** Fill time, epoch ms (now for immediate fills; the bar end for resting fills). */
  time: number;
  /** Whether the order was resting (maker). */
  isMaker: boolean;
}

/** Which order a query or cancel names. */
export interface OrderRef {
  /** Binance symbol the order must be on. */
  symbol: string;
  /** Exchange order id. */
  orderId?: number | undefined;
  /** Client order id. */
  origClientOrderId?: string | undefined;
}

/** Filters of a trade or order listing. */
export interface ListQuery {
  /** Only the trades of this order (trades) / orders with id ≥ this (orders). */
  orderId?: number | undefined;
  /** Time ≥ this, epoch ms. */
  startTime?: number | undefined;
  /** Time ≤ this, epoch ms. */
  endTime?: number | undefined;
  /** Trades with id ≥ this. */
  fromId?: number | undefined;
  /** At most this many (the latest ones when no lower bound is given). */
  limit: number;
}

interface _SymbolState {
  market: EmulatorMarket;
  /** First bar not yet replayed by `tick`. */
  next: number;
  open: EmulatorOrder[];
  orders: EmulatorOrder[];
  trades: EmulatorTrade[];
}

/** Orders, trades and matching against the bars (see the module doc for the rules). */
export class MatchingEngine {
  readonly #account: EmulatorAccount;
  readonly #symbols = new Map<string, _SymbolState>();
  readonly #byId = new Map<number, EmulatorOrder>();
  readonly #byClientId = new Map<string, EmulatorOrder>();
  readonly #halfSpread: number;
  readonly #maker: number;
  readonly #taker: number;
  readonly #volumeShare: number;
  #nextOrderId = 1;
  #nextTradeId = 1;

  /** Creates an engine over `markets` (by Binance symbol) settling into `account`. */
  constructor(
    markets: ReadonlyMap<string, EmulatorMarket>,
    account: EmulatorAccount,
    options: MatchingOptions = {},
  ) {
    this.#account = account;
    const { halfSpreadBps = 1, makerFeeBps = 10, takerFeeBps = 10, volumeShare = 0.1 } = options;
    for (const [name, v] of Object.entries({ halfSpreadBps, makerFeeBps, takerFeeBps })) {
      if (!(Number.isFinite(v) && v >= 0 && v < 10_000)) {
        throw new RangeError(`MatchingEngine: ${name} must be in [0, 10000), got ${v}`);
      }
    }
    if (!(volumeShare > 0)) {
      throw new RangeError(`MatchingEngine: volumeShare must be positive, got ${volumeShare}`);
    }
    this.#halfSpread = halfSpreadBps / 10_000;
    this.#maker = makerFeeBps / 10_000;
    this.#taker = takerFeeBps / 10_000;
    this.#volumeShare = volumeShare;
    for (const [symbol, market] of markets) {
      this.#symbols.set(symbol, { market, next: 0, open: [], orders: [], trades: [] });
    }
  }

  /** Maker and taker fee rates (fractions, 0.001 = 10 bps). */
  get fees(): { maker: number; taker: number } {
    return { maker: this.#maker, taker: this.#taker };
  }

  /**
   * Bid and ask of `market` at `now` (last known close ∓ half-spread, rounded outwards to the
   * tick), with the index of that bar; undefined when no bar is known.
   */
  quote(
    market: EmulatorMarket,
    now: number,
  ): { bid: number; ask: number; bar: number } | undefined {
    const i = market.lastKnownIndex(now);
    if (i < 0) return undefined;
    const close = market.close[i] as number;
    const tick = market.filters.tickSize;
    return {
      bid: _floorTo(close * (1 - this.#halfSpread), tick),
      ask: _ceilTo(close * (1 + this.#halfSpread), tick),
      bar: i,
    };
  }

  /**
   * Replays every bar known at `now` and not replayed yet, in bar order, filling resting orders
   * (see the module doc). Returns the number of fills. Bars of symbols without open orders are
   * skipped without work.
   */
  tick(now: number): number {
    const pending: [number, number, _SymbolState][] = [];
    for (const s of this.#symbols.values()) {
      const last = s.market.lastKnownIndex(now);
      if (s.open.length === 0) {
        s.next = Math.max(s.next, last + 1);
        continue;
      }
      for (let i = s.next; i <= last; i++) pending.push([s.market.end[i] as number, i, s]);
      s.next = Math.max(s.next, last + 1);
    }
    if (pending.length === 0) return 0;
    pending.sort((a, b) => a[0] - b[0]);
    let fills = 0;
    for (const [, i, s] of pending) fills += this.#matchBar(s, i);
    return fills;
  }

  /**
   * Places an order at `now` (call `tick(now)` first). Throws `BinanceApiError`: -1102/-1106/
   * -1115 for missing or extra parameters, -1013 for filter failures, -2010 for duplicates,
   * insufficient funds and a symbol without a known price.
   */
  placeOrder(req: NewOrder, now: number): EmulatorOrder {
    const s = this.#symbols.get(req.symbol);
    if (s === undefined) throw BinanceErrors.invalidSymbol();
    const m = s.market;
    const f = m.filters;
    if (req.newClientOrderId !== undefined && this.#byClientId.has(req.newClientOrderId)) {
      throw BinanceErrors.orderRejected(REJECT_REASONS.duplicate);
    }
    let timeInForce: TimeInForce = "GTC";
    if (req.type === "LIMIT") {
      if (req.timeInForce === undefined) throw BinanceErrors.mandatoryParam("timeInForce");
      if (req.quantity === undefined) throw BinanceErrors.mandatoryParam("quantity");
      if (req.price === undefined) throw BinanceErrors.mandatoryParam("price");
      if (req.quoteOrderQty !== undefined) throw BinanceErrors.paramNotRequired("quoteOrderQty");
      timeInForce = req.timeInForce;
      checkPriceFilter(f, req.price);
      checkLotSize(f, req.quantity);
      checkNotional(f, req.price * req.quantity);
    } else {
      if (req.price !== undefined) throw BinanceErrors.paramNotRequired("price");
      if (req.timeInForce !== undefined) throw BinanceErrors.paramNotRequired("timeInForce");
      if (req.quantity === undefined && req.quoteOrderQty === undefined) {
        throw BinanceErrors.mandatoryParam("quantity");
      }
      if (req.quantity !== undefined && req.quoteOrderQty !== undefined) {
        throw BinanceErrors.paramNotRequired("quoteOrderQty");
      }
      if (req.quantity !== undefined) checkLotSize(f, req.quantity);
    }
    const q = this.quote(m, now);
    if (q === undefined) throw BinanceErrors.orderRejected(REJECT_REASONS.marketClosed);
    const buy = req.side === "BUY";
    const touch = buy ? q.ask : q.bid;
    let qty = req.quantity ?? 0;
    if (req.type === "MARKET" && req.quoteOrderQty !== undefined) {
      qty = _floorTo(req.quoteOrderQty / touch, f.stepSize);
      checkLotSize(f, qty);
    }
    const marketable = req.type === "MARKET" ||
      (buy ? (req.price as number) >= q.ask : (req.price as number) <= q.bid);
    if (req.type === "MARKET") checkNotional(f, touch * qty);
    // Funds: immediate fills need the taker cost free; resting orders lock theirs.
    const limitPrice = req.price ?? touch;
    if (marketable) {
      if (buy) this.#account.requireFree(m.quote, limitPrice * qty * (1 + this.#taker));
      else this.#account.requireFree(m.base, qty);
    }
    const clientOrderId = req.newClientOrderId ?? `emulator-${this.#nextOrderId}`;
    if (this.#byClientId.has(clientOrderId)) {
      throw BinanceErrors.orderRejected(REJECT_REASONS.duplicate);
    }
    const order: EmulatorOrder = {
      orderId: this.#nextOrderId++,
      clientOrderId,
      symbol: m.symbol,
      side: req.side,
      type: req.type,
      timeInForce,
      price: req.type === "LIMIT" ? req.price as number : 0,
      origQty: qty,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      origQuoteOrderQty: req.quoteOrderQty ?? 0,
      status: "NEW",
      time: now,
      updateTime: now,
      tradeIds: [],
      locked: 0,
    };
    if (marketable) {
      this.#fill(s, order, touch, qty, now, false);
    } else if (timeInForce !== "GTC") {
      order.status = "EXPIRED";
    } else {
      const amount = buy ? order.price * qty * (1 + this.#maker) : qty;
      this.#account.lock(buy ? m.quote : m.base, amount);
      this.#account.touch(now);
      order.locked = amount;
      s.open.push(order);
    }
    this.#byId.set(order.orderId, order);
    this.#byClientId.set(order.clientOrderId, order);
    s.orders.push(order);
    return order;
  }

  /** The order named by `ref`; throws -2013 when there is none, -1102 without an id. */
  getOrder(ref: OrderRef): EmulatorOrder {
    const order = this.#find(ref);
    if (order === undefined) throw BinanceErrors.noSuchOrder();
    return order;
  }

  /**
   * Cancels an open order at `now` and releases its locked funds; throws -2011 "Unknown order
   * sent." when it is unknown or no longer open.
   */
  cancelOrder(ref: OrderRef, now: number): EmulatorOrder {
    const order = this.#find(ref);
    if (order === undefined || (order.status !== "NEW" && order.status !== "PARTIALLY_FILLED")) {
      throw BinanceErrors.unknownOrder();
    }
    const s = this.#symbols.get(ref.symbol) as _SymbolState;
    this.#close(s, order, "CANCELED", now);
    return order;
  }

  /** Open orders of `symbol` (every symbol when undefined), by order id. */
  openOrders(symbol?: string): EmulatorOrder[] {
    if (symbol !== undefined) return [...(this.#symbols.get(symbol)?.open ?? [])];
    return [...this.#symbols.values()].flatMap((s) => s.open).sort((a, b) => a.orderId - b.orderId);
  }

  /** Orders of `symbol` (Binance `allOrders`): id ≥ `orderId`, time in range, at most `limit`. */
  orders(symbol: string, query: ListQuery): EmulatorOrder[] {
    const all = (this.#symbols.get(symbol)?.orders ?? []).filter((o) =>
      (query.orderId === undefined || o.orderId >= query.orderId) &&
      (query.startTime === undefined || o.time >= query.startTime) &&
      (query.endTime === undefined || o.time <= query.endTime)
    );
    const fromStart = query.orderId !== undefined || query.startTime !== undefined;
    return fromStart ? all.slice(0, query.limit) : all.slice(-query.limit);
  }

  /** Trades of `symbol` (Binance `myTrades`), by id; the latest `limit` without a lower bound. */
  trades(symbol: string, query: ListQuery): EmulatorTrade[] {
    const all = (this.#symbols.get(symbol)?.trades ?? []).filter((t) =>
      (query.orderId === undefined || t.orderId === query.orderId) &&
      (query.fromId === undefined || t.id >= query.fromId) &&
      (query.startTime === undefined || t.time >= query.startTime) &&
      (query.endTime === undefined || t.time <= query.endTime)
    );
    const fromStart = query.fromId !== undefined || query.startTime !== undefined;
    return fromStart ? all.slice(0, query.limit) : all.slice(-query.limit);
  }

  /** The trades of one order, by id. */
  tradesOf(order: EmulatorOrder): EmulatorTrade[] {
    const trades = this.#symbols.get(order.symbol)?.trades ?? [];
    const ids = new Set(order.tradeIds);
    return trades.filter((t) => ids.has(t.id));
  }

  #find(ref: OrderRef): EmulatorOrder | undefined {
    if (ref.orderId === undefined && ref.origClientOrderId === undefined) {
      throw BinanceErrors.mandatoryParam("orderId");
    }
    const order = ref.orderId !== undefined
      ? this.#byId.get(ref.orderId)
      : this.#byClientId.get(ref.origClientOrderId as string);
    if (order === undefined || order.symbol !== ref.symbol) return undefined;
    if (ref.origClientOrderId !== undefined && order.clientOrderId !== ref.origClientOrderId) {
      return undefined;
    }
    return order;
  }

  /** Fills the resting orders of `s` against bar `i`; returns the number of fills. */
  #matchBar(s: _SymbolState, i: number): number {
    const m = s.market;
    const end = m.end[i] as number;
    const low = m.low[i] as number;
    const high = m.high[i] as number;
    const cap = this.#volumeShare * (m.volume[i] as number);
    let fills = 0;
    for (const side of ["BUY", "SELL"] as const) {
      const candidates = s.open.filter((o) =>
        o.side === side && o.time < end && (side === "BUY" ? low <= o.price : high >= o.price)
      ).sort((a, b) =>
        (side === "BUY" ? b.price - a.price : a.price - b.price) || a.orderId - b.orderId
      );
      let capacity = cap;
      for (const o of candidates) {
        const qty = _floorTo(Math.min(o.origQty - o.executedQty, capacity), m.filters.stepSize);
        if (qty <= 0) break;
        capacity -= qty;
        this.#fill(s, o, o.price, qty, end, true);
        fills++;
      }
    }
    return fills;
  }

  /** Books a fill of `qty` at `price` for `order` at `time` and settles the account. */
  #fill(
    s: _SymbolState,
    order: EmulatorOrder,
    price: number,
    qty: number,
    time: number,
    isMaker: boolean,
  ): void {
    const m = s.market;
    const value = price * qty;
    const commission = value * (isMaker ? this.#maker : this.#taker);
    const trade: EmulatorTrade = {
      id: this.#nextTradeId++,
      orderId: order.orderId,
      symbol: m.symbol,
      side: order.side,
      price,
      qty,
      quoteQty: value,
      commission,
      commissionAsset: m.quote,
      time,
      isMaker,
    };
    s.trades.push(trade);
    order.tradeIds.push(trade.id);
    order.executedQty = _round(order.executedQty + qty);
    order.cummulativeQuoteQty = _round(order.cummulativeQuoteQty + value);
    order.updateTime = time;
    const a = this.#account;
    a.touch(time);
    if (order.side === "BUY") {
      if (isMaker) {
        const spent = Math.min(order.locked, value + commission);
        a.spendLocked(m.quote, spent);
        order.locked = _round(order.locked - spent);
        a.addFree(m.quote, -(value + commission - spent));
      } else {
        a.addFree(m.quote, -(value + commission));
      }
      a.addFree(m.base, qty);
    } else {
      if (isMaker) {
        const spent = Math.min(order.locked, qty);
        a.spendLocked(m.base, spent);
        order.locked = _round(order.locked - spent);
      } else {
        a.addFree(m.base, -qty);
      }
      a.addFree(m.quote, value - commission);
    }
    if (order.executedQty >= order.origQty - 1e-12) this.#close(s, order, "FILLED", time);
    else order.status = "PARTIALLY_FILLED";
  }

  /** Ends an order (filled or canceled): releases what it still locks, removes it from the book. */
  #close(s: _SymbolState, order: EmulatorOrder, status: OrderStatus, time: number): void {
    if (order.locked > 0) {
      this.#account.unlock(order.side === "BUY" ? s.market.quote : s.market.base, order.locked);
      this.#account.touch(time);
      order.locked = 0;
    }
    order.status = status;
    order.updateTime = time;
    const k = s.open.indexOf(order);
    if (k >= 0) s.open.splice(k, 1);
  }
}

function _round(x: number): number {
  return Number(x.toFixed(10));
}
