/**
 * The Binance spot REST endpoints the emulator serves, registered on an `EmulatorRouter`, with
 * Binance's parameter names, answer layouts and errors:
 *
 * public — `GET /api/v3/ping`, `/api/v3/time`, `/api/v3/exchangeInfo`, `/api/v3/klines` (and
 * `/api/v3/uiKlines`), `/api/v3/ticker/24hr`, `/api/v3/ticker/price`,
 * `/api/v3/ticker/bookTicker`, `/api/v3/depth`, `/sapi/v1/system/status`;
 * signed — `GET /api/v3/account`, `POST|GET|DELETE /api/v3/order`, `GET|DELETE
 * /api/v3/openOrders`, `GET /api/v3/allOrders`, `GET /api/v3/myTrades`.
 *
 * Prices come from the bars known at the clock's `now()` (see `EmulatorMarket`), quotes and
 * fills from the `MatchingEngine`. The order book of `/api/v3/depth` is synthetic: levels one
 * basis point apart (at least one tick) from the bid and ask, each of the size a resting order
 * could fill per bar (`volumeShare` × the last bar's volume, at least `minQty`).
 */
import { BinanceErrors } from "./binance_api_error.ts";
import { parseBinanceInterval } from "./binance_interval.ts";
import type { EmulatorAccount } from "./emulator_account.ts";
import type { EmulatorMarket } from "./emulator_market.ts";
import type { EmulatorRequest, EmulatorRouter } from "./emulator_router.ts";
import { binanceFilterList } from "./market_filters.ts";
import type {
  EmulatorOrder,
  EmulatorTrade,
  MatchingEngine,
  NewOrder,
  OrderRef,
  OrderSide,
  OrderType,
  TimeInForce,
} from "./matching_engine.ts";
import { _decimalParam, _floorTo, _fmt, _fmt8, _intParam } from "./_format.ts";

/** What the endpoints serve from. */
export interface SpotVenue {
  /** Markets by Binance symbol. */
  markets: ReadonlyMap<string, EmulatorMarket>;
  /** Orders and matching. */
  engine: MatchingEngine;
  /** Balances. */
  account: EmulatorAccount;
  /** Share of a bar's volume resting orders may fill (sizes the synthetic book). */
  volumeShare: number;
  /** The server time (the emulator's clock), epoch ms. */
  now(): number;
}

const _DAY = 86_400_000;
const _CLIENT_ID = /^[a-zA-Z0-9-_.]{1,36}$/;

/** Registers every served Binance spot endpoint on `router`. */
export function registerSpotApi(router: EmulatorRouter, venue: SpotVenue): void {
  const api = new _SpotApi(venue);
  router.add("GET /api/v3/ping", () => ({}));
  router.add("GET /api/v3/time", () => ({ serverTime: venue.now() }));
  router.add("GET /sapi/v1/system/status", () => ({ status: 0, msg: "normal" }));
  router.add("GET /api/v3/exchangeInfo", (r) => api.exchangeInfo(r));
  router.add("GET /api/v3/klines", (r) => api.klines(r));
  router.add("GET /api/v3/uiKlines", (r) => api.klines(r));
  router.add("GET /api/v3/ticker/24hr", (r) => api.perSymbol(r, (m) => api.ticker24hr(m)));
  router.add("GET /api/v3/ticker/price", (r) => api.perSymbol(r, (m) => api.tickerPrice(m)));
  router.add("GET /api/v3/ticker/bookTicker", (r) => api.perSymbol(r, (m) => api.bookTicker(m)));
  router.add("GET /api/v3/depth", (r) => api.depth(r));
  const signed = { signed: true };
  router.add("GET /api/v3/account", (r) => api.account(r), signed);
  router.add("POST /api/v3/order", (r) => api.newOrder(r), signed);
  router.add("GET /api/v3/order", (r) => api.queryOrder(r), signed);
  router.add("DELETE /api/v3/order", (r) => api.cancelOrder(r), signed);
  router.add("GET /api/v3/openOrders", (r) => api.openOrders(r), signed);
  router.add("DELETE /api/v3/openOrders", (r) => api.cancelAll(r), signed);
  router.add("GET /api/v3/allOrders", (r) => api.allOrders(r), signed);
  router.add("GET /api/v3/myTrades", (r) => api.myTrades(r), signed);
}

class _SpotApi {
  readonly #v: SpotVenue;

  constructor(venue: SpotVenue) {
    this.#v = venue;
  }

  exchangeInfo(r: EmulatorRequest): unknown {
    const markets = this.#selected(r) ?? [...this.#v.markets.values()];
    return {
      timezone: "UTC",
      serverTime: this.#v.now(),
      rateLimits: [
        { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 },
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000 },
        { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: markets.map((m) => ({
        symbol: m.symbol,
        status: "TRADING",
        baseAsset: m.base,
        baseAssetPrecision: 8,
        quoteAsset: m.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ["LIMIT", "MARKET"],
        icebergAllowed: false,
        ocoAllowed: false,
        otoAllowed: false,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: false,
        cancelReplaceAllowed: false,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: binanceFilterList(m.filters),
        permissions: [],
        permissionSets: [["SPOT"]],
        defaultSelfTradePreventionMode: "EXPIRE_MAKER",
        allowedSelfTradePreventionModes: ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
      })),
    };
  }

  klines(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    const intervalMs = parseBinanceInterval(r.params.get("interval"), m.barMs);
    const limit = this.#limit(r, 500, 1000);
    return m.klines(intervalMs, {
      startTime: this.#optInt(r, "startTime"),
      endTime: this.#optInt(r, "endTime"),
      limit,
      now: this.#v.now(),
    });
  }

  /** Answers for one symbol (`symbol`), a list (`symbols`), or every symbol. */
  perSymbol(r: EmulatorRequest, fn: (m: EmulatorMarket) => unknown): unknown {
    if (r.params.has("symbol")) return fn(this.#market(r));
    return (this.#selected(r) ?? [...this.#v.markets.values()]).map(fn);
  }

  ticker24hr(m: EmulatorMarket): unknown {
    const now = this.#v.now();
    const last = m.lastKnownIndex(now);
    const book = this.#book(m);
    const zero = "0.00000000";
    if (last < 0) {
      return {
        symbol: m.symbol,
        priceChange: zero,
        priceChangePercent: "0.000",
        weightedAvgPrice: zero,
        prevClosePrice: zero,
        lastPrice: zero,
        lastQty: zero,
        bidPrice: zero,
        bidQty: zero,
        askPrice: zero,
        askQty: zero,
        openPrice: zero,
        highPrice: zero,
        lowPrice: zero,
        volume: zero,
        quoteVolume: zero,
        openTime: now - _DAY,
        closeTime: now,
        firstId: -1,
        lastId: -1,
        count: 0,
      };
    }
    const lastEnd = m.end[last] as number;
    const first = m.indexAfter(lastEnd - _DAY);
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    let quoteVolume = 0;
    for (let k = first; k <= last; k++) {
      const h = m.high[k] as number;
      const l = m.low[k] as number;
      const v = m.volume[k] as number;
      if (h > high) high = h;
      if (l < low) low = l;
      volume += v;
      quoteVolume += v * (h + l + (m.close[k] as number)) / 3;
    }
    const open = m.open[first] as number;
    const close = m.close[last] as number;
    return {
      symbol: m.symbol,
      priceChange: _fmt8(close - open),
      priceChangePercent: open === 0 ? "0.000" : ((close - open) / open * 100).toFixed(3),
      weightedAvgPrice: _fmt8(volume > 0 ? quoteVolume / volume : close),
      prevClosePrice: first > 0 ? _fmt(m.close[first - 1] as number) : zero,
      lastPrice: _fmt(close),
      lastQty: zero,
      bidPrice: _fmt(book?.bid ?? 0),
      bidQty: _fmt(book?.qty ?? 0),
      askPrice: _fmt(book?.ask ?? 0),
      askQty: _fmt(book?.qty ?? 0),
      openPrice: _fmt(open),
      highPrice: _fmt(high),
      lowPrice: _fmt(low),
      volume: _fmt8(volume),
      quoteVolume: _fmt8(quoteVolume),
      openTime: (m.end[first] as number) - m.barMs,
      closeTime: lastEnd,
      firstId: -1,
      lastId: -1,
      count: 0,
    };
  }

  tickerPrice(m: EmulatorMarket): unknown {
    const last = m.lastKnownIndex(this.#v.now());
    return { symbol: m.symbol, price: _fmt(last < 0 ? 0 : m.close[last] as number) };
  }

  bookTicker(m: EmulatorMarket): unknown {
    const b = this.#book(m);
    return {
      symbol: m.symbol,
      bidPrice: _fmt(b?.bid ?? 0),
      bidQty: _fmt(b?.qty ?? 0),
      askPrice: _fmt(b?.ask ?? 0),
      askQty: _fmt(b?.qty ?? 0),
    };
  }

  depth(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    const limit = this.#limit(r, 100, 5000);
    const b = this.#book(m);
    if (b === undefined) return { lastUpdateId: 0, bids: [], asks: [] };
    const tick = m.filters.tickSize;
    const spacing = Math.max(tick, _floorTo(b.bid * 1e-4, tick));
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    const qty = _fmt(b.qty);
    for (let k = 0; k < limit; k++) {
      const bid = _floorTo(b.bid - k * spacing, tick);
      if (bid > 0) bids.push([_fmt(bid), qty]);
      asks.push([_fmt(_floorTo(b.ask + k * spacing, tick)), qty]);
    }
    return { lastUpdateId: b.bar + 1, bids, asks };
  }

  account(r: EmulatorRequest): unknown {
    const omitZero = r.params.get("omitZeroBalances") === "true";
    const { maker, taker } = this.#v.engine.fees;
    const bps = (x: number) => Math.round(x * 10_000);
    return {
      makerCommission: bps(maker),
      takerCommission: bps(taker),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: {
        maker: _fmt8(maker),
        taker: _fmt8(taker),
        buyer: _fmt8(0),
        seller: _fmt8(0),
      },
      canTrade: true,
      canWithdraw: false,
      canDeposit: false,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.#v.account.updateTime,
      accountType: "SPOT",
      balances: this.#v.account.balances()
        .filter(([, b]) => !omitZero || b.free > 0 || b.locked > 0)
        .map(([asset, b]) => ({ asset, free: _fmt8(b.free), locked: _fmt8(b.locked) })),
      permissions: ["SPOT"],
      uid: 1,
    };
  }

  newOrder(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    const p = r.params;
    const side = p.get("side");
    if (side === undefined) throw BinanceErrors.mandatoryParam("side");
    if (side !== "BUY" && side !== "SELL") throw BinanceErrors.invalidSide();
    const type = p.get("type");
    if (type === undefined) throw BinanceErrors.mandatoryParam("type");
    if (type !== "MARKET" && type !== "LIMIT") throw BinanceErrors.invalidOrderType();
    const tif = p.get("timeInForce");
    if (tif !== undefined && tif !== "GTC" && tif !== "IOC" && tif !== "FOK") {
      throw BinanceErrors.invalidTimeInForce();
    }
    const clientId = p.get("newClientOrderId");
    if (clientId !== undefined && !_CLIENT_ID.test(clientId)) {
      throw BinanceErrors.illegalChars("newClientOrderId");
    }
    const respType = p.get("newOrderRespType") ?? "FULL";
    if (respType !== "ACK" && respType !== "RESULT" && respType !== "FULL") {
      throw BinanceErrors.invalidParam("newOrderRespType");
    }
    const req: NewOrder = {
      symbol: m.symbol,
      side: side as OrderSide,
      type: type as OrderType,
      timeInForce: tif as TimeInForce | undefined,
      quantity: this.#optDecimal(r, "quantity"),
      quoteOrderQty: this.#optDecimal(r, "quoteOrderQty"),
      price: this.#optDecimal(r, "price"),
      newClientOrderId: clientId,
    };
    const now = this.#v.now();
    const order = this.#v.engine.placeOrder(req, now);
    const ack = {
      symbol: order.symbol,
      orderId: order.orderId,
      orderListId: -1,
      clientOrderId: order.clientOrderId,
      transactTime: now,
    };
    if (respType === "ACK") return ack;
    const result = {
      ...ack,
      price: _fmt8(order.price),
      origQty: _fmt8(order.origQty),
      executedQty: _fmt8(order.executedQty),
      origQuoteOrderQty: _fmt8(order.origQuoteOrderQty),
      cummulativeQuoteQty: _fmt8(order.cummulativeQuoteQty),
      status: order.status,
      timeInForce: order.timeInForce,
      type: order.type,
      side: order.side,
      workingTime: order.time,
      selfTradePreventionMode: "EXPIRE_MAKER",
    };
    if (respType === "RESULT") return result;
    return {
      ...result,
      fills: this.#v.engine.tradesOf(order).map((t) => ({
        price: _fmt8(t.price),
        qty: _fmt8(t.qty),
        commission: _fmt8(t.commission),
        commissionAsset: t.commissionAsset,
        tradeId: t.id,
      })),
    };
  }

  queryOrder(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    return _orderJson(this.#v.engine.getOrder(this.#ref(r, m)));
  }

  cancelOrder(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    const now = this.#v.now();
    const order = this.#v.engine.cancelOrder(this.#ref(r, m), now);
    return _cancelJson(order, r.params.get("newClientOrderId") ?? `cancel-${order.orderId}`, now);
  }

  openOrders(r: EmulatorRequest): unknown {
    const symbol = r.params.has("symbol") ? this.#market(r).symbol : undefined;
    return this.#v.engine.openOrders(symbol).map(_orderJson);
  }

  cancelAll(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    const now = this.#v.now();
    const open = this.#v.engine.openOrders(m.symbol);
    if (open.length === 0) throw BinanceErrors.unknownOrder();
    return open.map((o) =>
      _cancelJson(
        this.#v.engine.cancelOrder({ symbol: m.symbol, orderId: o.orderId }, now),
        `cancel-${o.orderId}`,
        now,
      )
    );
  }

  allOrders(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    return this.#v.engine.orders(m.symbol, {
      orderId: this.#optInt(r, "orderId"),
      startTime: this.#optInt(r, "startTime"),
      endTime: this.#optInt(r, "endTime"),
      limit: this.#limit(r, 500, 1000),
    }).map(_orderJson);
  }

  myTrades(r: EmulatorRequest): unknown {
    const m = this.#market(r);
    return this.#v.engine.trades(m.symbol, {
      orderId: this.#optInt(r, "orderId"),
      startTime: this.#optInt(r, "startTime"),
      endTime: this.#optInt(r, "endTime"),
      fromId: this.#optInt(r, "fromId"),
      limit: this.#limit(r, 500, 1000),
    }).map(_tradeJson);
  }

  #book(m: EmulatorMarket): { bid: number; ask: number; qty: number; bar: number } | undefined {
    const q = this.#v.engine.quote(m, this.#v.now());
    if (q === undefined) return undefined;
    const f = m.filters;
    const qty = Math.max(
      f.minQty,
      _floorTo(this.#v.volumeShare * (m.volume[q.bar] as number), f.stepSize),
    );
    return { ...q, qty };
  }

  #market(r: EmulatorRequest): EmulatorMarket {
    const symbol = r.params.get("symbol");
    if (symbol === undefined || symbol === "") throw BinanceErrors.mandatoryParam("symbol");
    const m = this.#v.markets.get(symbol);
    if (m === undefined) throw BinanceErrors.invalidSymbol();
    return m;
  }

  /** The markets of `symbol` or `symbols` (a JSON list), or undefined when neither is given. */
  #selected(r: EmulatorRequest): EmulatorMarket[] | undefined {
    if (r.params.has("symbol")) return [this.#market(r)];
    const text = r.params.get("symbols");
    if (text === undefined) return undefined;
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      throw BinanceErrors.illegalChars("symbols");
    }
    if (!Array.isArray(list) || list.some((s) => typeof s !== "string")) {
      throw BinanceErrors.illegalChars("symbols");
    }
    return (list as string[]).map((s) => {
      const m = this.#v.markets.get(s);
      if (m === undefined) throw BinanceErrors.invalidSymbol();
      return m;
    });
  }

  #ref(r: EmulatorRequest, m: EmulatorMarket): OrderRef {
    return {
      symbol: m.symbol,
      orderId: this.#optInt(r, "orderId"),
      origClientOrderId: r.params.get("origClientOrderId"),
    };
  }

  #optInt(r: EmulatorRequest, name: string): number | undefined {
    const v = r.params.get(name);
    return v === undefined || v === "" ? undefined : _intParam(name, v);
  }

  #optDecimal(r: EmulatorRequest, name: string): number | undefined {
    const v = r.params.get(name);
    return v === undefined ? undefined : _decimalParam(name, v);
  }

  #limit(r: EmulatorRequest, def: number, max: number): number {
    const limit = this.#optInt(r, "limit") ?? def;
    if (limit < 1 || limit > max) throw BinanceErrors.invalidParam("limit");
    return limit;
  }
}

function _orderJson(o: EmulatorOrder): unknown {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: _fmt8(o.price),
    origQty: _fmt8(o.origQty),
    executedQty: _fmt8(o.executedQty),
    cummulativeQuoteQty: _fmt8(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: "0.00000000",
    icebergQty: "0.00000000",
    time: o.time,
    updateTime: o.updateTime,
    isWorking: true,
    workingTime: o.time,
    origQuoteOrderQty: _fmt8(o.origQuoteOrderQty),
    selfTradePreventionMode: "EXPIRE_MAKER",
  };
}

function _cancelJson(o: EmulatorOrder, cancelId: string, now: number): unknown {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: cancelId,
    transactTime: now,
    price: _fmt8(o.price),
    origQty: _fmt8(o.origQty),
    executedQty: _fmt8(o.executedQty),
    origQuoteOrderQty: _fmt8(o.origQuoteOrderQty),
    cummulativeQuoteQty: _fmt8(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    selfTradePreventionMode: "EXPIRE_MAKER",
  };
}

function _tradeJson(t: EmulatorTrade): unknown {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: -1,
    price: _fmt8(t.price),
    qty: _fmt8(t.qty),
    quoteQty: _fmt8(t.quoteQty),
    commission: _fmt8(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.side === "BUY",
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}
